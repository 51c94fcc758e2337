"""``tradewind serve --workers N``: N uvicorn worker processes sharing one socket.

Each worker builds its own app from the settings (handed over in an environment
variable, as JSON) and loads its own copy of the bundle; the operating system spreads
connections over them, so a slow request on one core no longer queues every other
request behind it. Prometheus counters live per process, so the workers run in
prometheus-client's multiprocess mode: :func:`serve_workers` creates a temporary folder,
points ``PROMETHEUS_MULTIPROC_DIR`` at it before the workers start, and removes it when
the server stops; ``/metrics`` adds up every worker's values from there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tradewind.serve.metrics import MULTIPROC_ENV
from tradewind.serve.settings import ServeSettings

__all__ = ["SETTINGS_ENV", "app_from_environment", "metrics_folder", "serve_workers"]

SETTINGS_ENV = "TRADEWIND_SERVE_SETTINGS"


def app_from_environment() -> FastAPI:
    """The app of one worker, from the settings :func:`serve_workers` put in the environment."""
    from tradewind.serve.app import create_app

    return create_app(ServeSettings.model_validate_json(os.environ[SETTINGS_ENV]))


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def metrics_folder() -> Iterator[str]:
    """A new, empty folder for the workers' metric files, removed afterwards."""
    path = tempfile.mkdtemp(prefix="tradewind-metrics-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def serve_workers(settings: ServeSettings) -> None:
    """Run ``settings.workers`` uvicorn workers on ``settings.host:settings.port`` until
    interrupted, with multiprocess metrics in a temporary folder (printed, then removed)."""
    with metrics_folder() as folder:
        print(f"{settings.workers} workers; metrics of all of them are added up from {folder}",
              flush=True)
        with _environment(**{MULTIPROC_ENV: folder, SETTINGS_ENV: settings.model_dump_json()}):
            uvicorn.run(
                "tradewind.serve.workers:app_from_environment", factory=True,
                host=settings.host, port=settings.port, workers=settings.workers,
                log_level=settings.log_level,
                access_log=settings.log_level in ("debug", "trace"),
                lifespan="on", http="auto", loop="auto",
            )
