"""Is a fitted calibrator worth keeping? A block bootstrap of its validation NLL gain.

A calibrator is fitted on the same validation rows it is judged on, so it always lowers
their mean NLL a little, even on a model whose confidence carries no information (then
temperature scaling runs to its upper bound, or to tiny temperatures on a lucky fold).
The fit is kept only when the lower bound of a moving-block bootstrap interval of the
per-row NLL gain (identity minus fitted) is above zero; otherwise the identity is kept.
Blocks, not rows, are resampled because neighbouring validation rows are correlated.

The outcome of that decision is recorded per fit as a :class:`CalibrationOutcome`:

``fitted``
    the fit lowered validation NLL by a margin its bootstrap supports, and lies inside
    the bounds;
``bounded``
    as ``fitted``, but the optimum lay at (or beyond) a bound and was clipped to it;
``kept_identity``
    the gain was not supported (lower bound <= 0): the identity is applied (T = 1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from tradewind.calibration.functional import log_softmax
from tradewind.exceptions import ConfigError

__all__ = ["CalibrationOutcome", "OutcomeStatus", "nll_gain_interval", "row_nll"]

OutcomeStatus = Literal["fitted", "bounded", "kept_identity"]

_MAX_CELLS = 4_000_000  # resamples x blocks drawn at once


@dataclass(frozen=True)
class CalibrationOutcome:
    """What a calibrator's fit decided, with the evidence.

    ``fitted_value`` is the optimiser's result before the keep/identity decision (the
    temperature for temperature scaling, the mean per-class scale for vector scaling);
    ``nll_gain`` is the mean per-row NLL gain on the validation rows (identity minus fit,
    positive = better) and ``nll_gain_lower`` the lower bound of its bootstrap interval.
    """

    status: OutcomeStatus
    fitted_value: float
    nll_gain: float
    nll_gain_lower: float
    block: int
    n_boot: int
    level: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (floats, strings, ints)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CalibrationOutcome:
        """Rebuild from :meth:`to_dict`."""
        return cls(
            status=d["status"], fitted_value=float(d["fitted_value"]),
            nll_gain=float(d["nll_gain"]), nll_gain_lower=float(d["nll_gain_lower"]),
            block=int(d["block"]), n_boot=int(d["n_boot"]), level=float(d["level"]),
        )


def row_nll(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row negative log-likelihood [N] of labels ``y`` under softmax(``logits``)."""
    lp = log_softmax(logits)
    return -lp[np.arange(lp.shape[0]), y]


def check_bootstrap_settings(n_boot: int, block: int, level: float) -> None:
    """Raise :class:`ConfigError` unless the bootstrap settings are usable."""
    if n_boot < 100 or block < 1 or not 0.5 < level < 1.0:
        raise ConfigError(
            f"calibration bootstrap needs n_boot >= 100, block >= 1 and 0.5 < level < 1; got "
            f"n_boot={n_boot}, block={block}, level={level}."
        )


def nll_gain_interval(
    gain: np.ndarray, *, block: int, n_boot: int, level: float, seed: int = 0
) -> tuple[float, float]:
    """Mean of the per-row ``gain`` [N] and the lower bound of its block-bootstrap interval.

    Moving blocks of ``min(block, N)`` rows are drawn with replacement, ``ceil(N / block)``
    per resample; the lower bound is the ``(1 - level) / 2`` quantile of the resampled
    means (the lower end of the two-sided ``level`` interval).
    """
    check_bootstrap_settings(n_boot, block, level)
    d = np.asarray(gain, dtype=np.float64)
    n = d.shape[0]
    if n == 0:
        return 0.0, 0.0
    b = min(block, n)
    k = math.ceil(n / b)
    prefix = np.concatenate([[0.0], np.cumsum(d)])
    block_sums = prefix[b:] - prefix[:-b]  # one per start 0 .. n - b
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    per_chunk = max(_MAX_CELLS // k, 1)
    for lo in range(0, n_boot, per_chunk):
        hi = min(lo + per_chunk, n_boot)
        starts = rng.integers(0, block_sums.shape[0], size=(hi - lo, k))
        means[lo:hi] = block_sums[starts].sum(axis=1) / (k * b)
    return float(d.mean()), float(np.quantile(means, (1.0 - level) / 2.0))
