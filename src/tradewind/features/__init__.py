"""Causal, scale-free features from OHLCV candles: named sets, TA-Lib indicators, higher timeframes.

>>> from tradewind.features import FeatureSpec, compute
>>> feats = compute(candles, FeatureSpec(sets=["core15", "strategy"]))  # doctest: +SKIP
>>> feats.frame.shape, feats.warmup_rows  # doctest: +SKIP
"""

from tradewind.features.compute import Features, compute, warmup_bars
from tradewind.features.cross import load_references
from tradewind.features.cross_spec import CrossSpec
from tradewind.features.registry import FEATURE_SETS, FeatureSet, list_features
from tradewind.features.spec import CoreParams, FeatureSpec, HigherTimeframeSpec, IndicatorSpec

__all__ = [
    "FEATURE_SETS",
    "CoreParams",
    "CrossSpec",
    "FeatureSet",
    "FeatureSpec",
    "Features",
    "HigherTimeframeSpec",
    "IndicatorSpec",
    "compute",
    "list_features",
    "load_references",
    "warmup_bars",
]
