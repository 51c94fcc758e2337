"""Run the server: :func:`serve` in the foreground, :class:`ServerThread` in the background."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from tradewind.serve.app import create_app
from tradewind.serve.settings import ServeSettings

__all__ = ["ServerThread", "serve"]


def _uvicorn_config(app: FastAPI, settings: ServeSettings, log_level: str) -> uvicorn.Config:
    """One uvicorn configuration for :func:`serve` and :class:`ServerThread` (and so the
    benchmark): the fastest HTTP parser and event loop installed (httptools, uvloop,
    else h11 and asyncio), access log only when debugging."""
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                          access_log=log_level in ("debug", "trace"), lifespan="on",
                          http="auto", loop="auto")


def serve(settings: ServeSettings) -> None:
    """Serve ``settings.model`` on ``settings.host:settings.port`` until interrupted.

    With ``settings.workers > 1`` the app is built in each of that many worker processes
    (:func:`tradewind.serve.workers.serve_workers`); a refused or broken bundle is refused
    here first, before any worker starts.
    """
    app = create_app(settings)
    if settings.workers > 1:
        app.state.holder.stop()  # it was only the check; each worker loads its own
        del app
        from tradewind.serve.workers import serve_workers

        serve_workers(settings)
        return
    uvicorn.Server(_uvicorn_config(app, settings, settings.log_level)).run()


class ServerThread:
    """A uvicorn server in a background thread, on a socket bound before it starts.

    It runs with the same uvicorn settings as :func:`serve`.

    ``port=0`` in ``settings`` picks a free port; :attr:`url` says which. Use as a
    context manager (tests, benchmarks, notebooks)::

        with ServerThread(ServeSettings(model="bundle/", port=0)) as server:
            httpx.get(server.url + "/healthz")
    """

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((settings.host, settings.port))
        self.port: int = self._sock.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(self.app, settings, log_level="warning"))
        self._thread = threading.Thread(target=self._run, name="tradewind-serve", daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43123``."""
        return f"http://{self.settings.host}:{self.port}"

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    def start(self, timeout: float = 30.0) -> ServerThread:
        """Start serving; return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server on {self.url} did not start within {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the server to exit, wait for it, and release the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
