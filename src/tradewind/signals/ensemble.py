"""Several bundles voting as one: a weighted average of calibrated probabilities.

Each member computes its own features, normaliser and calibration from the same candles;
only their calibrated probabilities are combined (``Σ w_i · p_i`` with weights summing to
1), so the result is still a probability vector. Members must share the class names in
the same order. Bars are those every member can predict (the latest first bar of all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.artifacts.verdict import BundleVerdict, bundle_verdict, combined_verdict
from tradewind.exceptions import ConfigError
from tradewind.policy import TradePolicy
from tradewind.signals.generate import (
    bundle_fingerprint,
    check_candles,
    predict_frame,
    resolve_timeframe,
    signals_from_proba,
)
from tradewind.signals.model import Signal

__all__ = ["Ensemble"]


class Ensemble:
    """Weighted average of several bundles' calibrated probabilities.

    Parameters
    ----------
    bundles:
        At least one bundle; all with the same ``classes`` (names and order).
    weights:
        One non-negative weight per bundle, not all zero (normalised to sum 1);
        None means equal weights.
    name:
        Model name reported in signals (default ``"ensemble(a+b+…)"``).
    """

    def __init__(
        self, bundles: Sequence[Bundle], weights: Sequence[float] | None = None,
        *, name: str | None = None,
    ) -> None:
        self.bundles = list(bundles)
        if not self.bundles:
            raise ConfigError("Ensemble needs at least one bundle")
        first = self.bundles[0].classes
        for i, bundle in enumerate(self.bundles[1:], start=1):
            if bundle.classes != first:
                raise ConfigError(
                    f"Ensemble: member {i} ({bundle.manifest.name!r}) has classes "
                    f"{bundle.classes} but member 0 ({self.bundles[0].manifest.name!r}) has "
                    f"{first}; combine only bundles trained on the same label kind"
                )
        raw = [1.0] * len(self.bundles) if weights is None else [float(w) for w in weights]
        if len(raw) != len(self.bundles):
            raise ConfigError(
                f"Ensemble: {len(raw)} weight(s) for {len(self.bundles)} bundle(s); give one each"
            )
        if any(not np.isfinite(w) or w < 0 for w in raw) or sum(raw) <= 0:
            raise ConfigError(
                f"Ensemble: weights {raw} must be finite, >= 0 and not all zero"
            )
        total = sum(raw)
        self.weights = [w / total for w in raw]
        self.name = name or "ensemble(" + "+".join(b.manifest.name for b in self.bundles) + ")"

    @property
    def classes(self) -> list[str]:
        return list(self.bundles[0].classes)

    @property
    def min_candles(self) -> int:
        """Candles needed for one prediction by every member."""
        return max(b.min_candles for b in self.bundles)

    @property
    def fingerprint(self) -> str:
        """sha256 over the members' fingerprints and the normalised weights."""
        text = "|".join(f"{bundle_fingerprint(b)}:{w:.12g}"
                        for b, w in zip(self.bundles, self.weights, strict=True))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def verdict(self) -> BundleVerdict:
        """Passed only when every member's gate passed."""
        return combined_verdict([bundle_verdict(b) for b in self.bundles])

    def check_timeframe(
        self, candles_or_timeframe: pd.DataFrame | str | None, where: str,
        *, declared: str | None = None,
    ) -> str | None:
        """:meth:`Bundle.check_timeframe` for every member; the members' timeframe."""
        found = [b.check_timeframe(candles_or_timeframe, where, declared=declared)
                 for b in self.bundles]
        return found[0]

    def member_probas(self, candles: pd.DataFrame, *, last_only: bool = False) -> list[pd.DataFrame]:
        """Each member's calibrated probabilities on the bars all members predict."""
        frames = [predict_frame(b, candles, last_only=last_only) for b in self.bundles]
        common = frames[0].index
        for frame in frames[1:]:
            common = common.intersection(frame.index)
        return [frame.loc[common] for frame in frames]

    @property
    def policy(self) -> TradePolicy:
        """The first member's trade policy (an ensemble has no validation run of its own)."""
        return self.bundles[0].policy

    def predict_proba(self, candles: pd.DataFrame, *, last_only: bool = False) -> pd.DataFrame:
        """Weighted mean probabilities [bars, classes] by bar open time."""
        return self._mix(self.member_probas(candles, last_only=last_only))

    def _mix(self, frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
        mixed = sum(w * f.to_numpy(dtype=np.float64) for w, f in zip(self.weights, frames, strict=True))
        return pd.DataFrame(mixed, index=frames[0].index, columns=frames[0].columns)

    def agreement(self, frames: Sequence[pd.DataFrame], mixed: pd.DataFrame) -> np.ndarray:
        """Per bar, the share of members whose argmax class is the ensemble's argmax class."""
        winner = mixed.to_numpy().argmax(axis=1)
        votes = np.stack([f.to_numpy().argmax(axis=1) == winner for f in frames])
        return votes.mean(axis=0)

    def _signals(
        self, candles: pd.DataFrame, policy: TradePolicy | None, *, symbol: str,
        timeframe: str | None, model_version: str | None, last_only: bool,
    ) -> list[Signal]:
        check_candles(candles, f"ensemble signals for {symbol}")
        self.check_timeframe(candles, f"ensemble signals for {symbol}", declared=timeframe)
        frames = self.member_probas(candles, last_only=last_only)
        mixed = self._mix(frames)
        if mixed.empty:
            raise ConfigError(
                f"Ensemble: the members predict no common bar; supply at least "
                f"{self.min_candles} candles"
            )
        return signals_from_proba(
            mixed, candles, policy or self.policy, symbol=symbol,
            timeframe=resolve_timeframe(timeframe, candles, self.bundles[0].manifest.data),
            model_name=self.name, model_version=model_version, fingerprint=self.fingerprint,
            members=len(self.bundles), agreement=self.agreement(frames, mixed),
            gate_passed=self.verdict.gate_passed,
        )

    def signal(
        self, candles: pd.DataFrame, policy: TradePolicy | None = None, *, symbol: str,
        timeframe: str | None = None, model_version: str | None = None,
    ) -> Signal:
        """The newest bar's signal, with ``members`` and ``agreement`` filled in.

        ``agreement`` compares each member's argmax class with the ensemble's argmax class,
        so when the direction is LONG/SHORT it is the share of members on that side, and a
        FLAT from the threshold still says how united the members are on the leading class.
        """
        return self._signals(candles, policy, symbol=symbol, timeframe=timeframe,
                             model_version=model_version, last_only=True)[-1]

    def signals(
        self, candles: pd.DataFrame, policy: TradePolicy | None = None, *, symbol: str,
        timeframe: str | None = None, model_version: str | None = None,
    ) -> list[Signal]:
        """Signals for every bar all members can predict, oldest first (batch)."""
        return self._signals(candles, policy, symbol=symbol, timeframe=timeframe,
                             model_version=model_version, last_only=False)
