"""What a bundle promises and what it was trained on: the manifest's ``monitoring`` entry.

At the final fit a run stores, beside the model, the distribution of every feature on the
training rows (quantile bins: inner edges and the share of rows in each bin), the
predicted-class shares on the training and validation rows, and the out-of-sample figures
its report promised (MCC, accuracy, ECE, the fitted policy's after-cost return per trade,
each with its interval where the run computed one). ``tradewind monitor`` compares live
signals with these. Bundles saved before this existed have no entry; the promises then
come from ``manifest.metrics`` and drift is reported as unavailable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradewind.exceptions import BundleError

__all__ = [
    "REFERENCE_VERSION",
    "FeatureBins",
    "Promises",
    "TrainingReference",
    "class_shares",
    "feature_bins",
    "promises_from_report",
    "reference_of",
    "training_reference",
]

REFERENCE_VERSION = 1
MAX_SHARE_ROWS = 20_000
"""Most training rows whose predicted classes are counted (evenly spaced)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeatureBins(_Strict):
    """One feature's training distribution as quantile bins.

    Bin ``i`` holds values ``x`` with ``edges[i-1] < x <= edges[i]``; the first bin is
    open below, the last open above, so there are ``len(edges) + 1`` bins. Tied quantiles
    are merged, so a feature with few distinct values has fewer bins.
    """

    edges: list[float] = Field(description="Inner bin edges, strictly ascending.")
    shares: list[float] = Field(description="Share of training rows in each bin (sums to 1).")
    rows: int = Field(ge=1, description="Finite training values binned.")
    low: float = Field(description="Smallest training value.")
    high: float = Field(description="Largest training value.")


class Promises(_Strict):
    """The out-of-sample figures the run reported, which live results are held to."""

    source: str = Field(description="`report` (stored at the final fit) or `manifest.metrics` "
                        "(a bundle saved before the monitoring entry existed).")
    level: float | None = Field(None, description="Level of the intervals.")
    method: str | None = Field(None, description="How the intervals were made.")
    rows: int | None = Field(None, description="Out-of-sample rows behind the figures.")
    accuracy: float | None = None
    accuracy_ci: list[float] | None = None
    mcc: float | None = None
    mcc_ci: list[float] | None = None
    ece: float | None = None
    ece_ci: list[float] | None = None
    pred_shares: dict[str, float] = Field(default_factory=dict)
    label_shares: dict[str, float] = Field(default_factory=dict)
    trades: int | None = Field(None, description="Out-of-sample trades of the fitted policy.")
    return_per_trade_bp: float | None = Field(None, description="Its net return per trade, bp.")
    return_per_trade_bp_ci: list[float] | None = None
    trade_hit_rate: float | None = Field(None, description="Share of its trades that made money.")
    max_drawdown: float | None = None
    sharpe: float | None = None
    sharpe_ci: list[float | None] | None = None


class TrainingReference(_Strict):
    """The manifest's ``monitoring`` entry (see the module docstring)."""

    version: int = REFERENCE_VERSION
    rows: int = Field(ge=0, description="Training rows the feature bins were made from.")
    features: dict[str, FeatureBins] = Field(
        description="Feature name (main, then side features) → its training bins.")
    train_shares: dict[str, float] = Field(description="Predicted-class shares, training rows.")
    val_shares: dict[str, float] = Field(description="Predicted-class shares, validation rows.")
    share_rows: int = Field(ge=0, description="Training rows the shares were counted on.")
    promises: Promises | None = None
    settings: dict[str, Any] = Field(default_factory=dict,
                                     description="The experiment's `monitor:` section.")


def feature_bins(values: np.ndarray, bins: int) -> FeatureBins | None:
    """Quantile bins of the finite ``values`` (None when there are none); edges are data
    values (``method="lower"``), so a feature with few distinct values keeps them apart."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)[1:-1], method="lower"))
    counts = np.bincount(np.searchsorted(edges, x, side="left"), minlength=edges.size + 1)
    return FeatureBins(edges=edges.tolist(), shares=(counts / x.size).tolist(), rows=int(x.size),
                       low=float(x.min()), high=float(x.max()))


def class_shares(pred: np.ndarray, classes: list[str] | tuple[str, ...]) -> dict[str, float]:
    """Share of each class among argmax predictions ``pred`` (class indices)."""
    p = np.asarray(pred, dtype=np.int64)
    counts = np.bincount(p, minlength=len(classes)) if p.size else np.zeros(len(classes))
    return {str(c): float(counts[i] / max(p.size, 1)) for i, c in enumerate(classes)}


def _pair(value: Any) -> list[float] | None:
    if value is None:
        return None
    lo, hi = value
    return None if lo is None or hi is None else [float(lo), float(hi)]


def promises_from_report(oos: Any, policy: dict[str, Any] | None) -> Promises:
    """Promises from the report's ``oos`` section and its ``policy`` section (or None)."""
    fitted = (policy or {}).get("results", {}).get("fitted") or {}
    ci = fitted.get("sharpe_ci")
    return Promises(
        source="report", level=oos["ci_level"], method=oos["ci_method"], rows=oos["n_rows"],
        accuracy=oos["accuracy"], accuracy_ci=_pair(oos["accuracy_ci"]), mcc=oos["mcc"],
        mcc_ci=_pair(oos["mcc_ci"]), ece=oos["ece"], ece_ci=_pair(oos["ece_ci"]),
        pred_shares=dict(oos["pred_shares"]), label_shares=dict(oos["label_shares"]),
        trades=fitted.get("n_trades"), return_per_trade_bp=fitted.get("net_bp_per_trade"),
        return_per_trade_bp_ci=_pair(fitted.get("net_bp_ci")),
        trade_hit_rate=fitted.get("hit_rate"), max_drawdown=fitted.get("max_drawdown"),
        sharpe=fitted.get("sharpe"), sharpe_ci=None if ci is None else list(ci),
    )


def training_reference(
    X: np.ndarray, names: list[str], *, classes: list[str] | tuple[str, ...],
    train_pred: np.ndarray, val_pred: np.ndarray, bins: int, promises: Promises | None,
    settings: dict[str, Any] | None = None,
) -> TrainingReference:
    """The monitoring entry of a bundle from its raw training feature rows ``X`` [N, F]
    (columns ``names``) and the argmax classes it predicts on training/validation rows."""
    found = {}
    for j, name in enumerate(names):
        binned = feature_bins(X[:, j], bins)
        if binned is not None:
            found[name] = binned
    return TrainingReference(
        rows=int(X.shape[0]), features=found, train_shares=class_shares(train_pred, classes),
        val_shares=class_shares(val_pred, classes), share_rows=int(np.asarray(train_pred).size),
        promises=promises, settings=dict(settings or {}))


def reference_of(manifest: Any) -> tuple[TrainingReference | None, Promises | None, str | None]:
    """(training reference, promises, why there is no reference) of a bundle manifest.

    A bundle without the entry still has promises from ``manifest.metrics`` (MCC with its
    interval, accuracy, ECE); the third value says why drift cannot be measured.
    """
    raw = getattr(manifest, "monitoring", None)
    if raw:
        try:
            ref = TrainingReference.model_validate(raw)
        except ValidationError as err:
            raise BundleError(f"bundle {manifest.name!r}: invalid manifest.monitoring entry: "
                              f"{err}; re-run the experiment to rewrite the bundle") from None
        return ref, ref.promises, None
    metrics = dict(getattr(manifest, "metrics", {}) or {})
    promises = None
    if metrics:
        promises = Promises(source="manifest.metrics", mcc=metrics.get("oos_mcc"),
                            mcc_ci=_pair(metrics.get("oos_mcc_ci")),
                            accuracy=metrics.get("oos_accuracy"), ece=metrics.get("oos_ece"))
    return None, promises, (
        "the bundle stores no training distribution (it was saved before bundles recorded "
        "feature quantiles); re-run its experiment to get one")
