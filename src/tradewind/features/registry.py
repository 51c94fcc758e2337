"""The named feature sets and what each feature means."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from tradewind.features import core, raw, smc, strategy
from tradewind.features.bars import Bars

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

__all__ = ["FEATURE_SETS", "FeatureSet", "list_features"]


@dataclass(frozen=True)
class FeatureSet:
    """A named group of features computed together on one timeframe.

    Attributes
    ----------
    name, description:
        Registry key and one line on what the set is for.
    features:
        ``(feature name, description)`` pairs, in column order.
    scale_free:
        False only for sets whose values move with the price or volume level.
    """

    name: str
    description: str
    features: tuple[tuple[str, str], ...]
    _compute: Callable[[Bars], dict[str, np.ndarray]] = field(repr=False, compare=False)
    _warmup: Callable[[CoreParams], int] = field(repr=False, compare=False)
    scale_free: bool = True

    @property
    def names(self) -> list[str]:
        """Feature names in column order."""
        return [name for name, _ in self.features]

    def warmup(self, params: CoreParams) -> int:
        """Leading rows (bars) without a full, settled value for some feature of the set."""
        return int(self._warmup(params))

    def compute(self, bars: Bars) -> list[np.ndarray]:
        """The set's columns [T] on ``bars``, in :attr:`names` order."""
        values = self._compute(bars)
        return [values[name] for name in self.names]


FEATURE_SETS: Mapping[str, FeatureSet] = MappingProxyType(
    {
        "core15": FeatureSet("core15", core.DESCRIPTION, core.FEATURES, core.compute, core.warmup),
        "strategy": FeatureSet(
            "strategy", strategy.DESCRIPTION, strategy.FEATURES, strategy.compute, strategy.warmup
        ),
        "smc": FeatureSet("smc", smc.DESCRIPTION, smc.FEATURES, smc.compute, smc.warmup),
        "raw_ohlcv": FeatureSet(
            "raw_ohlcv", raw.DESCRIPTION, raw.FEATURES, raw.compute, raw.warmup, scale_free=False
        ),
    }
)
"""Every built-in feature set by name (read-only)."""


def list_features() -> list[tuple[str, str, str]]:
    """``(set, feature, description)`` for every feature of every registered set."""
    return [
        (set_name, feature, description)
        for set_name, feature_set in FEATURE_SETS.items()
        for feature, description in feature_set.features
    ]
