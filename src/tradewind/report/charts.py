"""Report charts as PNG bytes: matplotlib with the Agg canvas, no pyplot, no global state.

Each function takes report sections and returns the PNG file's bytes, ready to embed in
HTML as base64. Figures are built with :class:`matplotlib.figure.Figure` and rendered by
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`, so nothing opens a window and
charts can be drawn from any thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tradewind.report.schema import (
    BaselineResult,
    FoldReport,
    Importance,
    OOSMetrics,
    ReliabilityBin,
    ShareWindow,
)

__all__ = [
    "baselines_png",
    "confusion_png",
    "equity_png",
    "folds_png",
    "importance_png",
    "reliability_png",
    "shares_png",
    "training_png",
]

_DPI = 100
_GOOD, _BAD, _NEUTRAL, _MODEL = "#2e7d32", "#c62828", "#90a4ae", "#1565c0"
_PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#9e9d24")


def _figure(width: float, height: float, rows: int = 1, cols: int = 1, **kw: object):
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, **kw)
    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def baselines_png(model_mcc: float | None, model_ci: tuple[float, float] | None,
                  baselines: dict[str, BaselineResult]) -> bytes:
    """Forest plot: MCC with its interval for the model and every baseline; 0 = no skill."""
    names = ["model", *baselines]
    values = [_nan(model_mcc)] + [_nan(b.mcc) for b in baselines.values()]
    cis = [model_ci] + [b.mcc_ci for b in baselines.values()]
    fig, axes = _figure(8, 0.9 + 0.45 * len(names))
    ax = axes[0, 0]
    y = np.arange(len(names))[::-1]
    for yi, name, value, ci in zip(y, names, values, cis, strict=True):
        color = _MODEL if name == "model" else _NEUTRAL
        if ci is not None:
            ax.plot(ci, [yi, yi], color=color, linewidth=3, solid_capstyle="butt")
        ax.plot([value], [yi], "o", color=color, markersize=8, markeredgecolor="black")
    ax.axvline(0.0, color="black", linewidth=1, linestyle="--")
    ax.set_yticks(y, names)
    ax.set_xlabel("MCC out of sample (dot) with interval (bar); dashed line = no skill")
    return _png(fig)


def folds_png(folds: Sequence[FoldReport], oos_mcc: float | None,
              majority_share: float | None = None) -> bytes:
    """Per-fold test MCC (bars, with intervals when present) and accuracy.

    ``majority_share`` (the largest true class share) is drawn on the accuracy panel: the
    accuracy of always answering the most common class.
    """
    fig, axes = _figure(10, 3.6, 1, 2)
    ax_mcc, ax_acc = axes[0]
    x = np.array([f.fold for f in folds])
    mcc = np.array([_nan(f.mcc) for f in folds])
    colors = [_GOOD if m > 0 else _BAD for m in np.nan_to_num(mcc)]
    ax_mcc.bar(x, np.nan_to_num(mcc), color=colors, alpha=0.85)
    lo = [f.mcc_ci[0] if f.mcc_ci else m for f, m in zip(folds, mcc, strict=True)]
    hi = [f.mcc_ci[1] if f.mcc_ci else m for f, m in zip(folds, mcc, strict=True)]
    if any(f.mcc_ci for f in folds):
        ax_mcc.errorbar(x, mcc, yerr=[mcc - np.array(lo), np.array(hi) - mcc], fmt="none",
                        ecolor="black", capsize=3)
    ax_mcc.axhline(0.0, color="black", linewidth=1)
    if oos_mcc is not None:
        ax_mcc.axhline(oos_mcc, color=_MODEL, linestyle="--", label=f"all folds {oos_mcc:+.3f}")
        ax_mcc.legend(loc="best", fontsize=8)
    ax_mcc.set_title("Test MCC per fold")
    ax_mcc.set_xlabel("fold")
    ax_acc.bar(x, [_nan(f.accuracy) for f in folds], color=_MODEL, alpha=0.8)
    if majority_share is not None:
        ax_acc.axhline(majority_share, color="black", linestyle="--",
                       label=f"always the majority class {majority_share:.3f}")
        ax_acc.legend(loc="upper right", fontsize=8)
    ax_acc.set_ylim(0, 1)
    ax_acc.set_title("Test accuracy per fold")
    ax_acc.set_xlabel("fold")
    for ax in (ax_mcc, ax_acc):
        ax.set_xticks(x)
    return _png(fig)


def _bins(bins: Sequence[ReliabilityBin]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kept = [b for b in bins if b.count > 0 and b.confidence is not None and b.accuracy is not None]
    return (np.array([b.confidence for b in kept], dtype=float),
            np.array([b.accuracy for b in kept], dtype=float),
            np.array([b.count for b in kept], dtype=float))


def reliability_png(before: Sequence[ReliabilityBin], after: Sequence[ReliabilityBin],
                    ece_before: float | None, ece_after: float | None, n_classes: int = 2) -> bytes:
    """Reliability diagram before and after calibration, with the rows per confidence bin.

    The top-class probability is at least ``1 / n_classes``, so the x axis starts there.
    """
    fig, axes = _figure(6.5, 6.5, 2, 1, height_ratios=[3, 1], sharex=True)
    ax, ax_hist = axes[0, 0], axes[1, 0]
    floor = max(0.0, 1.0 / max(n_classes, 1) - 0.02)
    ax.plot([floor, 1], [floor, 1], color="black", linestyle="--", linewidth=1, label="perfect")
    for bins, label, ece, color, shift in ((before, "before", ece_before, _BAD, -0.006),
                                           (after, "after", ece_after, _GOOD, 0.006)):
        conf, acc, count = _bins(bins)
        if not len(conf):
            continue
        text = f"{label} calibration" + (f" (ECE {ece:.3f})" if ece is not None else "")
        ax.plot(conf, acc, "-o", color=color, label=text, markersize=4)
        ax_hist.bar(conf + shift, count, width=0.012, color=color, alpha=0.7)
    ax.set_xlim(floor, 1)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("observed accuracy")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Reliability: top-class probability vs how often it was right")
    ax_hist.set_xlabel("confidence (top-class probability)")
    ax_hist.set_ylabel("rows")
    return _png(fig)


def confusion_png(oos: OOSMetrics) -> bytes:
    """Confusion heat map: colour = share of the true class (row), text = count and share."""
    counts = np.array(oos.confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    k = len(oos.classes)
    fig, axes = _figure(1.6 + 1.3 * k, 1.2 + 1.2 * k)
    ax = axes[0, 0]
    ax.grid(False)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            color = "white" if shares[i, j] > 0.55 else "black"
            ax.text(j, i, f"{int(counts[i, j]):,}\n{shares[i, j]:.0%}", ha="center", va="center",
                    color=color, fontsize=10)
    ax.set_xticks(range(k), oos.classes)
    ax.set_yticks(range(k), oos.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of true class")
    return _png(fig)


def shares_png(windows: Sequence[ShareWindow], classes: Sequence[str]) -> bytes:
    """Predicted-class share (solid) against label share (dashed) over rolling windows."""
    fig, axes = _figure(10, 3.8)
    ax = axes[0, 0]
    times = [w.timestamp for w in windows]
    for i, name in enumerate(classes):
        color = _PALETTE[i % len(_PALETTE)]
        ax.plot(times, [w.pred_shares.get(name, np.nan) for w in windows], color=color,
                label=f"predicted {name}")
        ax.plot(times, [w.label_shares.get(name, np.nan) for w in windows], color=color,
                linestyle="--", alpha=0.7, label=f"true {name}")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of rows in window")
    ax.set_title("Predicted vs true class share over time (out of sample)")
    ax.legend(loc="upper left", fontsize=8, ncols=max(1, len(classes)))
    fig.autofmt_xdate()
    return _png(fig)


def training_png(folds: Sequence[FoldReport]) -> bytes:
    """Training curves: train (solid) and validation (dashed) loss, and validation MCC."""
    fig, axes = _figure(10, 3.8, 1, 2)
    ax_loss, ax_mcc = axes[0]
    for i, fold in enumerate(folds):
        if not fold.history:
            continue
        color = _PALETTE[i % len(_PALETTE)]
        epochs = [h.epoch for h in fold.history]
        ax_loss.plot(epochs, [_nan(h.train_loss) for h in fold.history], color=color,
                     label=f"fold {fold.fold}")
        ax_loss.plot(epochs, [_nan(h.val_loss) for h in fold.history], color=color, linestyle="--")
        ax_mcc.plot(epochs, [_nan(h.val_mcc) for h in fold.history], color=color,
                    label=f"fold {fold.fold}")
        if fold.best_epoch is not None:
            ax_mcc.axvline(fold.best_epoch, color=color, alpha=0.3, linewidth=1)
    ax_loss.set_title("Loss: train (solid), validation (dashed)")
    ax_loss.set_xlabel("epoch")
    ax_mcc.set_title("Validation MCC (thin line = kept epoch)")
    ax_mcc.set_xlabel("epoch")
    ax_mcc.axhline(0.0, color="black", linewidth=1)
    if any(f.history for f in folds):
        ax_loss.legend(loc="best", fontsize=8)
    return _png(fig)


def equity_png(
    equity: Sequence[float],
    timestamps: Sequence[object] | None = None,
    *,
    benchmark: Sequence[float] | None = None,
) -> bytes:
    """Backtest equity curve (and buy-and-hold, if given) and its drawdown from the peak."""
    values = np.asarray(equity, dtype=float)
    x = list(timestamps) if timestamps is not None else np.arange(len(values))
    peak = np.fmax.accumulate(values)
    drawdown = np.divide(values - peak, peak, out=np.zeros_like(values), where=peak != 0)
    fig, axes = _figure(10, 4.8, 2, 1, height_ratios=[2, 1], sharex=True)
    ax_eq, ax_dd = axes[:, 0]
    ax_eq.plot(x, values, color=_MODEL, label="strategy after costs")
    if benchmark is not None:
        ax_eq.plot(x, np.asarray(benchmark, dtype=float), color="0.5", ls="--",
                   label="buy and hold")
        ax_eq.legend(loc="upper left", fontsize=8, frameon=False)
    ax_eq.set_title("Equity")
    ax_dd.fill_between(x, drawdown, 0, color=_BAD, alpha=0.5)
    ax_dd.set_ylabel("drawdown")
    ax_dd.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    if timestamps is not None:
        fig.autofmt_xdate()
    return _png(fig)


def _rank_text(row: object, method: str, label: str) -> str | None:
    rank = getattr(row, f"{method}_rank", None)
    return None if rank is None else f"{label} #{rank}"


def importance_png(importance: Importance, top: int = 20) -> bytes:
    """Horizontal bars of the ``top`` features by the first method (permutation: log-loss
    increase, whiskers = fold min–max), with the other methods' ranks beside each name."""
    method = importance.methods[0] if importance.methods else "permutation"
    rows = importance.features[:top]
    value_key = "permutation_logloss" if method == "permutation" else method
    values = np.array([_nan(getattr(r, value_key)) for r in rows], dtype=float)
    fig, axes = _figure(9, 1.0 + 0.32 * max(len(rows), 1))
    ax = axes[0, 0]
    y = np.arange(len(rows))[::-1]
    xerr = None
    if method == "permutation":
        spans = [r.permutation_logloss_range or (v, v) for r, v in zip(rows, values, strict=True)]
        xerr = np.array([[max(v - lo, 0.0) for (lo, _), v in zip(spans, values, strict=True)],
                         [max(hi - v, 0.0) for (_, hi), v in zip(spans, values, strict=True)]])
    ax.barh(y, values, xerr=xerr, color=_MODEL, alpha=0.85, ecolor="black", capsize=3)
    labels = []
    for r in rows:
        ranks = [_rank_text(r, m, lab) for m, lab in (("gradient", "IG"), ("shap", "SHAP"))
                 if m != method]
        ranks = [x for x in ranks if x]
        labels.append(f"{r.feature}  ({', '.join(ranks)})" if ranks else r.feature)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0.0, color="black", linewidth=1)
    what = {"permutation": "log-loss increase when the feature's window is shuffled "
                           "(bar: mean over folds, whiskers: fold min–max)",
            "gradient": "mean |integrated gradient| (logit units)",
            "shap": "mean |TreeSHAP| of the LightGBM baseline (log-odds)"}[method]
    ax.set_xlabel(what, fontsize=9)
    ax.set_title(f"Feature importance out of sample, top {len(rows)} of {len(importance.features)}")
    return _png(fig)


def policy_png(curves: Sequence[Sequence[dict]], equity: dict | None) -> bytes:
    """Left: each fold's validation curve (threshold → net bp per trade, dot size ~ trades).
    Right: out-of-sample equity after costs of each way of trading, and buy-and-hold."""
    fig, axes = _figure(11, 3.8, 1, 2)
    ax_val, ax_eq = axes[0]
    for k, curve in enumerate(curves):
        pts = [(c["threshold"], c["mean_bp"], c["n_trades"]) for c in curve if c.get("mean_bp") is not None]
        if pts:
            x, y, n = (np.asarray(v, dtype=float) for v in zip(*pts, strict=True))
            ax_val.plot(x, y, marker=".", lw=1, label=f"fold {k + 1}")
            ax_val.scatter(x, y, s=np.clip(n, 4, 200), alpha=0.3)
    ax_val.axhline(0, color="0.5", lw=0.8)
    ax_val.set_xlabel("confidence threshold")
    ax_val.set_ylabel("net bp per trade (validation)")
    ax_val.set_title("Validation curves of the chosen policies")
    if curves:
        ax_val.legend(fontsize=7, frameon=False)
    if equity and isinstance(equity.get("timestamp"), list):
        x = np.arange(len(equity["timestamp"]))
        for name, values in equity.items():
            if name == "timestamp" or not isinstance(values, list) or len(values) != len(x):
                continue
            style = {"buy_and_hold": {"color": "0.5", "ls": "--"}, "fitted": {"color": _MODEL, "lw": 2},
                     "every_signal": {"color": _BAD}}.get(name, {})
            ax_eq.plot(x, np.asarray(values, dtype=float), label=name.replace("_", " "), **style)
        ax_eq.legend(fontsize=7, frameon=False)
    ax_eq.set_title("Out-of-sample equity after costs")
    ax_eq.set_xlabel("out-of-sample bars (down-sampled)")
    return _png(fig)
