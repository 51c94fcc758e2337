"""Drift of live inputs and outputs against the training distribution stored in a bundle.

PSI (population stability index) over the stored quantile bins,
``sum_i (live_i - train_i) * ln(live_i / train_i)`` with both shares floored at
:data:`FLOOR`: about 0 for the same distribution, above 0.1 a noticeable and above 0.25
a large shift (the usual reading). The KS statistic is taken at the stored bin edges
(the largest gap between the two cumulative shares there): a lower bound of the exact
two-sample statistic, exact up to the bins' resolution.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tradewind.monitor.reference import FeatureBins

__all__ = ["FLOOR", "FeatureDrift", "bin_shares", "feature_drift", "ks_at_edges", "psi"]

FLOOR = 1e-4
"""Smallest share used in PSI, so an empty bin does not give an infinite index."""


class FeatureDrift(BaseModel):
    """One feature's live distribution against its training bins."""

    model_config = ConfigDict(extra="forbid")

    feature: str
    psi: float = Field(description="Population stability index over the training bins.")
    ks: float = Field(description="KS statistic at the training bin edges.")
    rows: int = Field(description="Live values compared.")
    train_shares: list[float]
    live_shares: list[float]
    status: str = Field("ok", description="ok, warning or breach under the thresholds.")


def bin_shares(values: np.ndarray, edges: list[float] | np.ndarray) -> np.ndarray:
    """Share of the finite ``values`` in each bin of ``edges`` (see :class:`FeatureBins`)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    e = np.asarray(edges, dtype=np.float64)
    if x.size == 0:
        return np.full(e.size + 1, np.nan)
    return np.bincount(np.searchsorted(e, x, side="left"), minlength=e.size + 1) / x.size


def psi(expected: np.ndarray | list[float], actual: np.ndarray | list[float]) -> float:
    """Population stability index of ``actual`` shares against ``expected`` shares."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), FLOOR)
    a = np.maximum(np.asarray(actual, dtype=np.float64), FLOOR)
    if e.shape != a.shape:
        raise ValueError(f"psi needs shares of the same bins; got {e.shape} and {a.shape}")
    return float(np.sum((a - e) * np.log(a / e)))


def ks_at_edges(expected: np.ndarray | list[float], actual: np.ndarray | list[float]) -> float:
    """Largest gap between the cumulative shares at the inner bin edges."""
    e = np.cumsum(np.asarray(expected, dtype=np.float64))[:-1]
    a = np.cumsum(np.asarray(actual, dtype=np.float64))[:-1]
    return float(np.max(np.abs(a - e))) if e.size else 0.0


def feature_drift(bins: Mapping[str, FeatureBins], live: pd.DataFrame) -> list[FeatureDrift]:
    """PSI and KS of every column of ``live`` that has training bins, largest PSI first."""
    out = []
    for name in live.columns:
        ref = bins.get(str(name))
        if ref is None:
            continue
        values = live[name].to_numpy(dtype=np.float64)
        shares = bin_shares(values, ref.edges)
        rows = int(np.isfinite(values).sum())
        if rows == 0:
            continue
        out.append(FeatureDrift(feature=str(name), psi=psi(ref.shares, shares),
                                ks=ks_at_edges(ref.shares, shares), rows=rows,
                                train_shares=list(ref.shares), live_shares=shares.tolist()))
    return sorted(out, key=lambda d: -d.psi)
