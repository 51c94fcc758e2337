"""Monitor charts as PNG bytes (matplotlib Agg, no pyplot): rolling metrics and drift."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tradewind.monitor.drift import FeatureDrift
from tradewind.monitor.realised import WindowMetrics
from tradewind.monitor.reference import Promises

__all__ = ["drift_png", "rolling_png"]

_DPI = 100
_MODEL, _PROMISE, _BAD = "#1565c0", "#2e7d32", "#c62828"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def _band(ax, times, windows: Sequence[WindowMetrics], key: str, scale: float = 1.0) -> None:
    value = np.array([np.nan if getattr(w, key).value is None else getattr(w, key).value * scale
                      for w in windows])
    lo = np.array([np.nan if getattr(w, key).ci is None else getattr(w, key).ci[0] * scale
                   for w in windows])
    hi = np.array([np.nan if getattr(w, key).ci is None else getattr(w, key).ci[1] * scale
                   for w in windows])
    ax.fill_between(times, lo, hi, color=_MODEL, alpha=0.2, label="realised interval")
    ax.plot(times, value, color=_MODEL, label="realised")


def _promise(ax, value: float | None, ci: list[float] | None) -> None:
    if value is not None:
        ax.axhline(value, color=_PROMISE, linestyle="--", label="promised")
    if ci is not None:
        ax.axhspan(ci[0], ci[1], color=_PROMISE, alpha=0.1, label="promised interval")


def rolling_png(windows: Sequence[WindowMetrics], promises: Promises | None) -> bytes:
    """Rolling MCC, accuracy, ECE and return per trade (bp), each with its interval band,
    against the promised value and interval; x = the window's last signal bar."""
    p = promises or Promises(source="none")
    fig = Figure(figsize=(11, 6.4), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2, sharex=True)
    times = pd.to_datetime([w.last for w in windows], utc=True)
    panels = (("mcc", "MCC", p.mcc, p.mcc_ci), ("accuracy", "accuracy", p.accuracy, p.accuracy_ci),
              ("ece", "ECE", p.ece, p.ece_ci),
              ("return_per_trade_bp", "after-cost return per trade (bp)",
               p.return_per_trade_bp, p.return_per_trade_bp_ci))
    for ax, (key, title, value, ci) in zip(axes.flat, panels, strict=True):
        ax.grid(True, alpha=0.3)
        _band(ax, times, windows, key)
        _promise(ax, value, ci)
        if key in ("mcc", "return_per_trade_bp"):
            ax.axhline(0.0, color="black", linewidth=1)
        ax.set_title(title)
    axes[0, 0].legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    return _png(fig)


def drift_png(features: Sequence[FeatureDrift], warn: float, breach: float, top: int = 20) -> bytes:
    """PSI per feature (largest first), with the warning and breach thresholds."""
    shown = list(features)[:top]
    fig = Figure(figsize=(9, 0.8 + 0.3 * max(len(shown), 1)), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    y = np.arange(len(shown))[::-1]
    colors = [_BAD if f.status == "breach" else "#ef6c00" if f.status == "warning" else _MODEL
              for f in shown]
    ax.barh(y, [f.psi for f in shown], color=colors)
    ax.set_yticks(y, [f.feature for f in shown])
    ax.axvline(warn, color="#ef6c00", linestyle="--", label=f"warning {warn:g}")
    ax.axvline(breach, color=_BAD, linestyle="--", label=f"breach {breach:g}")
    ax.set_xlabel("PSI against the training distribution")
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)
