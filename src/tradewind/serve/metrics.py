"""Prometheus metrics of one server (own registry, so several apps can live in one process).

With several uvicorn workers (``tradewind serve --workers N``) each worker is a process
with its own counters; ``serve`` then runs them in prometheus-client's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR`` set before the workers start), every worker writes its
values to files there, and ``/metrics``, whichever worker answers it, adds them up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["MULTIPROC_ENV", "ServeMetrics"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PREDICTED = "tradewind_predicted_class"


class _Families:
    """A fixed list of metric families, in the shape ``generate_latest`` reads."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def _shares(families: list[Metric]) -> GaugeMetricFamily:
    """Share of predictions (both routes) per argmax class, from the predicted-class counter."""
    counts: dict[str, float] = {}
    for family in families:
        if family.name != _PREDICTED:
            continue
        for sample in family.samples:
            if sample.name == f"{_PREDICTED}_total":
                cls = sample.labels["cls"]
                counts[cls] = counts.get(cls, 0.0) + sample.value
    total = sum(counts.values())
    out = GaugeMetricFamily("tradewind_predicted_class_share",
                            "Share of predictions (both routes) per argmax class", labels=["cls"])
    for cls, count in sorted(counts.items()):
        out.add_metric([cls], count / total if total else 0.0)
    return out


class ServeMetrics:
    """Request counts by route and status, latency histogram, predicted class shares.

    ``multiprocess_dir`` (default: ``$PROMETHEUS_MULTIPROC_DIR``) switches :meth:`render`
    to adding up every worker's values from that folder.
    """

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir or os.environ.get(MULTIPROC_ENV) or None
        self.registry = CollectorRegistry()
        self.requests = Counter("tradewind_requests", "HTTP requests by route and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("tradewind_request_latency_seconds", "Request latency by route",
                                 ["route"], buckets=_BUCKETS, registry=self.registry)
        self.predicted = Counter(_PREDICTED, "Argmax class of each prediction",
                                 ["route", "cls"], registry=self.registry)
        self.reloads = Counter("tradewind_model_reloads", "Model reloads by result", ["result"],
                               registry=self.registry)
        self.info = Gauge("tradewind_model_info", "The served bundle (value 1); serving several "
                          "symbols, one row per symbol (symbol label; empty for one bundle)",
                          ["name", "version", "fingerprint", "symbol"], registry=self.registry,
                          multiprocess_mode="livemax")
        self.worker = Gauge("tradewind_worker_up", "1 per live server worker process (pid label "
                            "with several workers)", registry=self.registry,
                            multiprocess_mode="liveall")
        self.worker.set(1)
        self.collectors: list[Any] = []  # more families to render (objects with collect())
        self._models: list[tuple[str, str, str, str]] = []

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def predictions(self, route: str, classes: list[str]) -> None:
        """Count argmax classes of one response."""
        for cls in classes:
            self.predicted.labels(route, cls).inc()

    def set_models(self, served: Iterable[tuple[str, str | None, str, str]]) -> None:
        """Point the info gauge at the served bundles, each given as (name, version,
        fingerprint, symbol); the rows of the previous ones drop to 0."""
        for row in self._models:
            self.info.labels(*row).set(0)  # in multiprocess mode its file lives on
            if not self.multiprocess_dir:
                self.info.remove(*row)
        self._models = [(name, version or "", fingerprint, symbol)
                        for name, version, fingerprint, symbol in served]
        for row in self._models:
            self.info.labels(*row).set(1)

    def render(self) -> bytes:
        """Prometheus text exposition (every worker's values added up in multiprocess mode)."""
        if self.multiprocess_dir:
            merged = CollectorRegistry()
            MultiProcessCollector(merged, path=self.multiprocess_dir)
            families = list(merged.collect())
        else:
            families = list(self.registry.collect())
        extra = [family for collector in self.collectors for family in collector.collect()]
        return generate_latest(_Families([*families, _shares(families), *extra]))  # type: ignore[arg-type]
