"""Where a request's work runs: on the event loop, or in a worker thread for big bodies.

Also sets torch's intra-op thread count in each thread that runs a model, which
``torch.set_num_threads`` in the main thread does not do (see :func:`_torch_threads`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import torch
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tradewind.serve.settings import ServeSettings

__all__ = ["answer"]

_this_thread = threading.local()


def _torch_threads(threads: int) -> None:
    """Give the calling thread ``threads`` torch intra-op threads (0: leave it alone).

    OpenMP keeps the thread count per OS thread: ``torch.set_num_threads`` in the main
    thread does not reach the event-loop thread or a pool worker, which then run every
    forward pass on a team of one thread per core that spin-waits between calls. Measured
    on a busy 2-core machine: 24 ms of CPU for a 0.3 ms LSTM forward pass.
    """
    if threads > 0 and getattr(_this_thread, "torch_threads", None) != threads:
        torch.set_num_threads(threads)
        _this_thread.torch_threads = threads


def _in_worker(reply: Callable[[bytes], Response], raw: bytes, threads: int) -> Response:
    _torch_threads(threads)
    return reply(raw)


async def answer(reply: Callable[[bytes], Response], raw: bytes, settings: ServeSettings) -> Response:
    """Run ``reply`` on the event loop for small bodies, in a worker thread for big ones.

    The work is Python that holds the GIL, so a thread adds hand-offs and GIL contention
    but no parallelism: small requests are fastest answered inline. A big body (a large
    batch or a long history) goes to a worker so that the loop can still take in and
    answer other requests (``/healthz``) meanwhile.
    """
    if len(raw) <= settings.inline_max_bytes:
        _torch_threads(settings.torch_threads)
        return reply(raw)
    return await run_in_threadpool(_in_worker, reply, raw, settings.torch_threads)
