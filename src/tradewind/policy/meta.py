"""Meta-labeling: a second model that says whether the primary model's trade would pay.

The meta model sees, at the signal bar, the primary's calibrated probability of the side
it takes and a few state features of the market, and predicts P(the trade's net return
after costs > 0). A trade is taken only when that probability reaches ``min_probability``.
It is a logistic regression stored as plain numbers (means, scales, coefficients), so a
bundle carries it as JSON and every consumer applies it the same way.

State features of bar ``t`` use bars up to ``t`` only:

* ``p_side``: the primary's probability of the side it takes;
* ``volatility``: standard deviation of the last 20 one-bar log returns;
* ``volume_z``: z-score of log volume against the previous 50 bars;
* ``hour_sin``, ``hour_cos``: time of day of the bar's open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["META_FEATURES", "MetaFilter", "state_features"]

META_FEATURES: tuple[str, ...] = ("p_side", "volatility", "volume_z", "hour_sin", "hour_cos")
_VOL_BARS, _VOLUME_BARS = 20, 50


class MetaFilter(BaseModel):
    """A fitted meta-labeling model (standardised logistic regression)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: list[str] = Field(default_factory=lambda: list(META_FEATURES))
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    min_probability: float = Field(0.5, gt=0, lt=1)

    @model_validator(mode="after")
    def _shapes(self) -> MetaFilter:
        k = len(self.features)
        if not (len(self.mean) == len(self.scale) == len(self.coef) == k):
            raise ValueError(f"meta filter: mean, scale and coef need {k} values each "
                             f"(features {self.features})")
        if list(self.features) != list(META_FEATURES):
            raise ValueError(f"meta filter features {self.features} are not {list(META_FEATURES)}")
        return self

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(the trade pays) for feature rows ``x`` [N, K]; NaN rows give NaN."""
        z = (np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        logit = z @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-logit))

    def allows(self, x: np.ndarray) -> np.ndarray:
        """True where the meta model lets the trade through (NaN features: not allowed)."""
        p = self.probability(x)
        return np.isfinite(p) & (p >= self.min_probability)


def state_features(candles: pd.DataFrame) -> np.ndarray:
    """The market state features [T, 4] per candle row (all but ``p_side``); causal."""
    close = candles["close"].to_numpy(dtype=np.float64)
    volume = candles["volume"].to_numpy(dtype=np.float64)
    r = np.diff(np.log(close), prepend=np.nan)
    vol = pd.Series(r).rolling(_VOL_BARS, min_periods=_VOL_BARS).std().to_numpy()
    logv = pd.Series(np.log1p(np.maximum(volume, 0.0)))
    prev = logv.shift(1).rolling(_VOLUME_BARS, min_periods=_VOLUME_BARS)
    sd = prev.std().to_numpy()
    volume_z = np.where(sd > 0, (logv.to_numpy() - prev.mean().to_numpy()) / np.where(sd > 0, sd, 1), 0.0)
    volume_z = np.where(np.isnan(sd), np.nan, volume_z)
    hours = pd.DatetimeIndex(candles.index).hour.to_numpy() + pd.DatetimeIndex(
        candles.index).minute.to_numpy() / 60.0
    angle = 2 * np.pi * hours / 24.0
    return np.stack([vol, volume_z, np.sin(angle), np.cos(angle)], axis=1)
