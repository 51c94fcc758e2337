"""Is a deployed model still doing what its run promised? Realised metrics, drift, shares.

``check(log, bundle)`` reads a live signal log (signals, outcomes, stored candles) and
returns a :class:`MonitorResult`: realised accuracy, MCC, ECE and after-cost paper-trade
return of the newest resolved signals with block-bootstrap intervals beside the run's
promises, per-feature drift (PSI, KS) against the training distribution stored in the
bundle, predicted-class shares against training, and the breaches in plain sentences.
``write_monitor`` writes ``monitor.json`` and ``monitor.html`` (imported on first use:
it draws with matplotlib, which ``import tradewind.config`` should not pay for).
"""

from typing import Any

from tradewind.config import MonitorSpec
from tradewind.monitor.check import (
    check,
    loop_check,
    monitor_spec,
    open_log,
    pick_series,
    series_of,
)
from tradewind.monitor.checks import CHECKS
from tradewind.monitor.drift import FeatureDrift, bin_shares, feature_drift, ks_at_edges, psi
from tradewind.monitor.reference import (
    FeatureBins,
    Promises,
    TrainingReference,
    feature_bins,
    promises_from_report,
    reference_of,
    training_reference,
)
from tradewind.monitor.result import Breach, MonitorResult

__all__ = [
    "CHECKS",
    "Breach",
    "FeatureBins",
    "FeatureDrift",
    "MonitorResult",
    "MonitorSpec",
    "Promises",
    "TrainingReference",
    "bin_shares",
    "check",
    "feature_bins",
    "feature_drift",
    "ks_at_edges",
    "load_monitor",
    "loop_check",
    "monitor_spec",
    "open_log",
    "pick_series",
    "promises_from_report",
    "psi",
    "reference_of",
    "series_of",
    "training_reference",
    "write_monitor",
]


def __getattr__(name: str) -> Any:
    """``write_monitor`` and ``load_monitor`` from :mod:`tradewind.monitor.write`, lazily."""
    if name in ("load_monitor", "write_monitor"):
        from tradewind.monitor import write

        return getattr(write, name)
    raise AttributeError(f"module 'tradewind.monitor' has no attribute {name!r}")
