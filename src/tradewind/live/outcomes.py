"""Realised outcomes of logged signals, by the label code training used.

Once the label horizon of a signal's bar has passed (the stored candles hold bar
``t + horizon``) and its paper trade, if any, has closed, the loop records in the log's
``outcomes`` table: the realised label of :func:`tradewind.labels.make_labels` with the
bundle's :class:`~tradewind.labels.LabelSpec` over the stored candles (the class name as
the bundle names it, e.g. ``UP``/``DOWN`` or ``SELL``/``HOLD``/``BUY``; ``NONE`` where
training has no label either: an exactly flat move, the ATR or threshold warm-up), the
forward return ``close[t + horizon] / close[t] − 1``, and the after-cost return of the paper
trade entered at that signal (NULL when the policy entered none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradewind.labels import LabelSpec, make_labels
from tradewind.live.ledger import PaperLedger, lead_bars
from tradewind.live.log import SignalLog, _stamp

__all__ = ["NO_LABEL", "resolve_outcomes"]

NO_LABEL = "NONE"
"""``outcomes.label`` of a bar training would not label either (flat move, warm-up)."""


def _label_lead(labels: LabelSpec) -> int:
    """History the labels need before a bar: the ATR of triple-barrier exits, the window
    of an adaptive threshold."""
    need = lead_bars(labels.exits.atr_period if labels.exits is not None else 14)
    return max(need, 0 if labels.adaptive is None else 2 * labels.adaptive.window)


def _reaches(candles: pd.DataFrame, bar: pd.Timestamp, lead: int) -> bool:
    """Whether ``candles`` hold ``lead`` bars before ``bar`` (or start where the log does)."""
    row = int(candles.index.searchsorted(bar))
    return row < len(candles) and candles.index[row] == bar and row >= lead


def resolve_outcomes(log: SignalLog, ledger: PaperLedger, labels: LabelSpec,
                     upto: pd.Timestamp, candles: pd.DataFrame | None = None) -> int:
    """Record the outcome of every logged signal up to ``upto`` that is due; returns how
    many were recorded. Call it after :meth:`PaperLedger.advance` to ``upto``; the stored
    ``candles`` that step read are used when they reach far enough back."""
    symbol, timeframe = ledger.symbol, ledger.timeframe
    pending = [pd.Timestamp(r[0]).tz_convert("UTC") for r in log._conn.execute(
        "SELECT s.bar_timestamp FROM signals s LEFT JOIN outcomes o ON o.symbol = s.symbol "
        "AND o.timeframe = s.timeframe AND o.bar_timestamp = s.bar_timestamp "
        "WHERE s.symbol = ? AND s.timeframe = ? AND o.bar_timestamp IS NULL "
        "AND s.bar_timestamp <= ? ORDER BY s.bar_timestamp",
        (symbol, timeframe, _stamp(upto))).fetchall()]
    if not pending:
        return 0
    later = log._conn.execute(
        "SELECT COUNT(*) FROM candles WHERE symbol = ? AND timeframe = ? AND bar_timestamp > ? "
        "AND bar_timestamp <= ?", (symbol, timeframe, _stamp(pending[0]), _stamp(upto))).fetchone()
    if later[0] < labels.horizon:
        return 0  # not even the oldest is due
    lead = _label_lead(labels)
    if candles is None or not _reaches(candles, pending[0], lead):
        first = log._conn.execute(
            "SELECT bar_timestamp FROM candles WHERE symbol = ? AND timeframe = ? AND "
            "bar_timestamp <= ? ORDER BY bar_timestamp DESC LIMIT 1 OFFSET ?",
            (symbol, timeframe, _stamp(pending[0]), lead)).fetchone()
        candles = log.candles(symbol, timeframe,
                              since=None if first is None else pd.Timestamp(first[0]))
    candles = candles.loc[:upto]
    if candles.empty:
        return 0
    made = make_labels(candles, labels)
    rows = candles.index.get_indexer(pd.DatetimeIndex(pending))
    still_open = ledger.open_signal_bar()
    done = 0
    for bar, row in zip(pending, rows, strict=True):
        if row < 0 or row + labels.horizon >= len(candles):
            continue  # the horizon has not passed (or the bar was never stored)
        if still_open is not None and bar == still_open:
            continue  # its paper trade is still open
        y = int(made.y[row])
        label = made.classes[y] if made.classes and y >= 0 else NO_LABEL
        fwd = float(made.forward_return[row])
        done += log.record_outcome(symbol, timeframe, bar, label=label,
                                   forward_return=fwd if np.isfinite(fwd) else None,
                                   trade_return=ledger.trade_return(bar))
    return done
