"""Trading signals: calibrated probabilities of a bundle (or an ensemble) → a JSON signal.

``signal_from_bundle(bundle, candles, symbol=...)`` gives the newest bar's
:class:`Signal`; ``signals_for_bars`` gives every bar's through the same code path.
"""

from tradewind.signals.ensemble import Ensemble
from tradewind.signals.generate import (
    bundle_fingerprint,
    check_candles,
    class_directions,
    predict_frame,
    resolve_timeframe,
    signal_from_bundle,
    signals_for_bars,
    signals_from_proba,
)
from tradewind.signals.model import Direction, OrderType, Signal

__all__ = [
    "Direction",
    "Ensemble",
    "OrderType",
    "Signal",
    "bundle_fingerprint",
    "check_candles",
    "class_directions",
    "predict_frame",
    "resolve_timeframe",
    "signal_from_bundle",
    "signals_for_bars",
    "signals_from_proba",
]
