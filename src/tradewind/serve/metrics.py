"""Prometheus metrics of one server (own registry, so several apps can live in one process)."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ServeMetrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServeMetrics:
    """Request counts by route and status, latency histogram, predicted class shares."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tradewind_requests", "HTTP requests by route and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("tradewind_request_latency_seconds", "Request latency by route",
                                 ["route"], buckets=_BUCKETS, registry=self.registry)
        self.predicted = Counter("tradewind_predicted_class", "Argmax class of each prediction",
                                 ["route", "cls"], registry=self.registry)
        self.shares = Gauge("tradewind_predicted_class_share",
                            "Share of predictions (both routes) per argmax class", ["cls"],
                            registry=self.registry)
        self.reloads = Counter("tradewind_model_reloads", "Model reloads by result", ["result"],
                               registry=self.registry)
        self.info = Gauge("tradewind_model_info", "The served bundle (value 1)",
                          ["name", "version", "fingerprint"], registry=self.registry)
        self._counts: dict[str, float] = {}
        self._lock = threading.Lock()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def predictions(self, route: str, classes: list[str]) -> None:
        """Count argmax classes of one response."""
        with self._lock:
            for cls in classes:
                self.predicted.labels(route, cls).inc()
                self._counts[cls] = self._counts.get(cls, 0.0) + 1.0

    def set_model(self, name: str, version: str | None, fingerprint: str) -> None:
        """Point the info gauge at the served bundle."""
        self.info.clear()
        self.info.labels(name, version or "", fingerprint).set(1)

    def render(self) -> bytes:
        """Prometheus text exposition, with shares refreshed first."""
        with self._lock:
            total = sum(self._counts.values())
            for cls, count in self._counts.items():
                self.shares.labels(cls).set(count / total if total else 0.0)
        return generate_latest(self.registry)
