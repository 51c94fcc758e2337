"""The monitor behind ``/metrics``: ``serve --monitor-log LOG`` rechecks a live signal log
every ``monitor_seconds`` in a background thread and exports the result as gauges.

The check runs against the bundle being served (taken once per check from the holder,
so it follows the champion alias like requests do); a failed check keeps the previous
gauges, logs a warning and sets ``tradewind_monitor_up`` to 0. With several workers each
worker checks on its own and answers ``/metrics`` with its own latest result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from tradewind.monitor import CHECKS, MonitorResult, check, monitor_spec
from tradewind.serve.holder import ModelHolder
from tradewind.serve.settings import ServeSettings

__all__ = ["MonitorGauges", "MonitorPoller"]

log = logging.getLogger("tradewind.serve")


class MonitorGauges:
    """The newest :class:`MonitorResult` as Prometheus gauge families (a collector)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.result: MonitorResult | None = None
        self.ok = False
        self.checked_at: float | None = None

    def update(self, result: MonitorResult | None) -> None:
        """Record a check's result (None: the check failed; the old values stay)."""
        with self._lock:
            if result is not None:
                self.result = result
            self.ok = result is not None
            self.checked_at = time.time()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            result, ok, at = self.result, self.ok, self.checked_at
        up = GaugeMetricFamily("tradewind_monitor_up", "1 when the last monitor check succeeded")
        up.add_metric([], 1.0 if ok else 0.0)
        yield up
        if at is not None:
            yield GaugeMetricFamily("tradewind_monitor_last_check_timestamp_seconds",
                                    "Unix time of the last monitor check", value=at)
        if result is None:
            return
        yield GaugeMetricFamily("tradewind_monitor_resolved_signals",
                                "Signals of the served model with an outcome", value=result.resolved)
        for row in result.checks:
            for suffix, value in (("", row.value), ("_lower", None if row.ci is None else row.ci[0]),
                                  ("_upper", None if row.ci is None else row.ci[1])):
                if value is not None:
                    yield GaugeMetricFamily(
                        f"tradewind_monitor_realised_{row.name}{suffix}",
                        f"Realised {row.name} of the newest window{suffix.replace('_', ' ')}",
                        value=float(value))
            if row.promised is not None:
                yield GaugeMetricFamily(f"tradewind_monitor_promised_{row.name}",
                                        f"Promised out-of-sample {row.name}",
                                        value=float(row.promised))
        psi = GaugeMetricFamily("tradewind_monitor_psi", "PSI of a feature vs training",
                                labels=["feature"])
        ks = GaugeMetricFamily("tradewind_monitor_ks", "KS of a feature vs training (at the "
                               "stored bin edges)", labels=["feature"])
        for f in result.drift.features:
            psi.add_metric([f.feature], f.psi)
            ks.add_metric([f.feature], f.ks)
        yield psi
        yield ks
        share = GaugeMetricFamily("tradewind_monitor_class_share", "Predicted-class share of "
                                  "the newest signals", labels=["class"])
        for name, value in result.shares.recent.items():
            share.add_metric([name], value)
        yield share
        for level in ("breach", "warning"):
            family = GaugeMetricFamily(f"tradewind_monitor_{level}",
                                       f"1 when the check has a {level}", labels=["check"])
            hit = {b.check for b in result.breaches if b.level == level}
            for name in CHECKS:
                family.add_metric([name], 1.0 if name in hit else 0.0)
            yield family


class MonitorPoller:
    """Recomputes the monitor every ``settings.monitor_seconds`` in a daemon thread."""

    def __init__(self, settings: ServeSettings, holder: ModelHolder, gauges: MonitorGauges) -> None:
        self.settings, self.holder, self.gauges = settings, holder, gauges
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def check_once(self) -> MonitorResult | None:
        """One check of the log against the served bundle; None (and a warning) on failure."""
        s = self.settings
        loaded = (self.holder.for_symbol(s.monitor_symbol) if s.monitor_symbol else None)
        bundle = (loaded or self.holder.current()).bundle  # the symbol was checked at start
        try:
            result = check(s.monitor_log, bundle, symbol=s.monitor_symbol,  # type: ignore[arg-type]
                           timeframe=s.monitor_timeframe, spec=monitor_spec(bundle, s.monitor),
                           rolling=False)
        except Exception as err:  # the server keeps answering; the gauges say the check failed
            self.last_error = f"{type(err).__name__}: {err}"
            log.warning("monitor check of %s failed: %s", s.monitor_log, self.last_error)
            self.gauges.update(None)
            return None
        self.last_error = None
        for breach in result.breaches:
            if breach.level == "breach":
                log.warning("monitor breach (%s): %s", breach.check, breach.reason)
        self.gauges.update(result)
        return result

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tradewind-monitor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.check_once()
        while not self._stop.wait(self.settings.monitor_seconds):
            self.check_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
