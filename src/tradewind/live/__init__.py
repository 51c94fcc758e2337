"""The live loop: signals at every bar close from an exchange or a replayed file.

``run_live(bundle, source=ExchangeSource(...) | ReplaySource(...), log=SignalLog(path),
symbol=..., timeframe=...)`` polls closed candles, computes the signal through
``tradewind.signals``, appends it to a SQLite log (one row per bar, resumable) and prints it.
The same log keeps the candles it saw, a paper ledger (:mod:`tradewind.live.ledger`: the
signals traded by the backtest engine; read it with :func:`paper_trades`), the realised
outcome of each signal (:mod:`tradewind.live.outcomes`) and the scheduled retrains
(:mod:`tradewind.live.retrain`). ``run_live_many([LiveLane(symbol, model, source), ...],
log=..., timeframe=...)`` runs several symbols in one loop, each with its own rows.
"""

from tradewind.live.ledger import PaperLedger, paper_summary, paper_trades
from tradewind.live.log import SignalLog
from tradewind.live.loop import (
    LiveLane,
    LiveResult,
    format_signal,
    resolve_model,
    run_live,
    run_live_many,
)
from tradewind.live.retrain import RetrainSchedule
from tradewind.live.sources import CandleSource, ExchangeSource, ReplaySource, rows_to_candles

__all__ = [
    "CandleSource",
    "ExchangeSource",
    "LiveLane",
    "LiveResult",
    "PaperLedger",
    "ReplaySource",
    "RetrainSchedule",
    "SignalLog",
    "format_signal",
    "paper_summary",
    "paper_trades",
    "resolve_model",
    "rows_to_candles",
    "run_live",
    "run_live_many",
]
