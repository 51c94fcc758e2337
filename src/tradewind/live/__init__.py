"""The live loop: signals at every bar close from an exchange or a replayed file.

``run_live(bundle, source=ExchangeSource(...) | ReplaySource(...), log=SignalLog(path),
symbol=..., timeframe=...)`` polls closed candles, computes the signal through
``tradewind.signals``, appends it to a SQLite log (one row per bar, resumable) and prints it.
"""

from tradewind.live.log import SignalLog
from tradewind.live.loop import LiveResult, format_signal, resolve_model, run_live
from tradewind.live.sources import CandleSource, ExchangeSource, ReplaySource, rows_to_candles

__all__ = [
    "CandleSource",
    "ExchangeSource",
    "LiveResult",
    "ReplaySource",
    "SignalLog",
    "format_signal",
    "resolve_model",
    "rows_to_candles",
    "run_live",
]
