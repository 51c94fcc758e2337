"""Run the server: :func:`serve` in the foreground, :class:`ServerThread` in the background."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from tradewind.serve.app import create_app
from tradewind.serve.settings import ServeSettings

__all__ = ["ServerThread", "serve"]


def serve(settings: ServeSettings) -> None:
    """Serve ``settings.model`` on ``settings.host:settings.port`` until interrupted."""
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                access_log=settings.log_level in ("debug", "trace"))


class ServerThread:
    """A uvicorn server in a background thread, on a socket bound before it starts.

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
        config = uvicorn.Config(self.app, log_level="warning", access_log=False,
                                lifespan="on")
        self._server = uvicorn.Server(config)
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
