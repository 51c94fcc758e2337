"""The paper ledger: the live loop's signals traded by the backtest engine itself.

There is no second simulator. At each bar the ledger runs
:func:`tradewind.backtest.run_backtest` over the stored candles from its **anchor** (the
last bar at whose close the paper account was flat, with the cash it held then) to the
newest bar, on probabilities read back from the logged signals, turned into orders by
:func:`tradewind.backtest.signals_from_probabilities` with the trade policy, costs and
exits that ``tradewind backtest`` would use. The engine is causal (bar ``j`` depends on
bars ``≤ j`` and signals ``≤ j − 1``) and starts flat, so a run from a flat bar with that
bar's cash reproduces exactly what one run from the first bar would have done after it;
everything it reports up to the newest bar is final and is written, in **one
transaction** per bar, into these tables of the signal log's SQLite file::

    paper_state      one row per (symbol, timeframe)
        anchor_bar TEXT    flat at this bar's close; the next run starts here
        anchor_cash REAL   cash (= equity) at that close
        last_bar TEXT      newest bar the ledger has handled
        config TEXT        the engine settings (JSON of BacktestConfig); a restart with
                           other costs is refused
        trade_from TEXT    first bar whose signal may open a trade: the one after the
                           training data of the model the ledger started with (NULL: any),
                           so in-sample bars are not passed off as paper results, as
                           ``tradewind backtest`` refuses them
    paper_trades     one row per closed trade (UNIQUE symbol, timeframe, entry_time)
        signal_bar, entry_time, exit_time TEXT   bar open times (UTC, ISO 'Z')
        direction INTEGER (+1/-1), units, entry_price, exit_price (fills, costs
        included), fees, pnl, return REAL (pnl / entry notional, after costs),
        exit_reason TEXT (stop, take_profit, time, signal), exit_fills INTEGER
    paper_fills      one row per fill (UNIQUE symbol, timeframe, entry_time, kind)
        bar_timestamp TEXT  the bar it filled in; entry_time TEXT its trade's entry bar
        kind TEXT ('entry' | 'exit'), side INTEGER (+1 buy, -1 sell), units, price REAL
        (an exit split by partial take-profits is one row at the units-weighted mean)
        reason TEXT (the exit reason; NULL for an entry)
    paper_positions  the open position, at most one row per (symbol, timeframe)
        signal_bar, entry_time TEXT, direction INTEGER, units, entry_price REAL,
        as_of TEXT (the bar it was last marked at)
    paper_equity     one row per bar (UNIQUE symbol, timeframe, bar_timestamp)
        equity REAL (cash + open position marked at the close), position INTEGER

A process killed anywhere leaves either the state before the bar or after it; the next
start runs again from the stored anchor and ``INSERT OR IGNORE`` keeps every fill once.
``close_at_end`` does not apply: a live position stays open until an exit takes it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tradewind.backtest.engine import BacktestConfig, BacktestResult, run_backtest
from tradewind.backtest.signals_arrays import SignalArrays, signals_from_probabilities
from tradewind.exceptions import LiveLogError
from tradewind.live.log import SignalLog, _stamp
from tradewind.policy import TradePolicy

__all__ = ["LedgerStep", "PaperLedger", "lead_bars", "paper_summary", "paper_trades"]


def lead_bars(atr_period: int) -> int:
    """Bars of history before the first row that matters, for an ATR of ``atr_period``:
    Wilder's ATR forgets where it started by a factor ``(1 − 1/period)`` per bar, so after
    ``40 × period`` bars (a factor below 1e-17) it equals a run over all bars to the last
    bit; at least 200 (the meta filter's state needs 51)."""
    return max(200, 40 * int(atr_period))

_TABLES = (
    """CREATE TABLE IF NOT EXISTS paper_state (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, anchor_bar TEXT NOT NULL,
        anchor_cash REAL NOT NULL, last_bar TEXT, config TEXT NOT NULL, trade_from TEXT,
        PRIMARY KEY (symbol, timeframe))""",
    """CREATE TABLE IF NOT EXISTS paper_trades (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, signal_bar TEXT NOT NULL,
        entry_time TEXT NOT NULL, exit_time TEXT NOT NULL, direction INTEGER NOT NULL,
        units REAL NOT NULL, entry_price REAL NOT NULL, exit_price REAL NOT NULL,
        fees REAL NOT NULL, pnl REAL NOT NULL, return REAL NOT NULL,
        exit_reason TEXT NOT NULL, exit_fills INTEGER NOT NULL,
        UNIQUE (symbol, timeframe, entry_time))""",
    """CREATE TABLE IF NOT EXISTS paper_fills (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, bar_timestamp TEXT NOT NULL,
        entry_time TEXT NOT NULL, kind TEXT NOT NULL, side INTEGER NOT NULL,
        units REAL NOT NULL, price REAL NOT NULL, reason TEXT,
        UNIQUE (symbol, timeframe, entry_time, kind))""",
    """CREATE TABLE IF NOT EXISTS paper_positions (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, signal_bar TEXT NOT NULL,
        entry_time TEXT NOT NULL, direction INTEGER NOT NULL, units REAL NOT NULL,
        entry_price REAL NOT NULL, as_of TEXT NOT NULL, PRIMARY KEY (symbol, timeframe))""",
    """CREATE TABLE IF NOT EXISTS paper_equity (
        symbol TEXT NOT NULL, timeframe TEXT NOT NULL, bar_timestamp TEXT NOT NULL,
        equity REAL NOT NULL, position INTEGER NOT NULL,
        PRIMARY KEY (symbol, timeframe, bar_timestamp))""",
)
_TRADE_COLUMNS = ("signal_bar", "entry_time", "exit_time", "direction", "units", "entry_price",
                  "exit_price", "fees", "pnl", "return", "exit_reason", "exit_fills")


@dataclass(frozen=True)
class LedgerStep:
    """What one :meth:`PaperLedger.advance` wrote: new closed trades (engine rows) and
    the signal bars whose paper trade is still open."""

    new_trades: pd.DataFrame
    open_signal_bar: pd.Timestamp | None
    candles: pd.DataFrame | None = None  # the stored candles it read (reused for outcomes)


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


class PaperLedger:
    """Paper trading of one (symbol, timeframe) of a :class:`SignalLog`, resumable.

    Parameters
    ----------
    log:
        The signal log; the ledger's tables live in its SQLite file.
    config:
        Costs, sizing and rules (``tradewind backtest``'s ``backtest:`` settings).
    trained_until:
        Last bar of the model's training data: a new ledger trades signals of later bars
        only (kept in ``paper_state.trade_from``; later models do not move it).
    """

    def __init__(self, log: SignalLog, symbol: str, timeframe: str,
                 config: BacktestConfig | None = None, *,
                 trained_until: pd.Timestamp | None = None) -> None:
        self.log = log
        self.symbol = symbol
        self.timeframe = timeframe
        self.config = (config or BacktestConfig()).model_copy(update={"close_at_end": False})
        self._conn: sqlite3.Connection = log._conn
        with self._conn:
            for table in _TABLES:
                self._conn.execute(table)
        row = self._state()
        settings = json.dumps(self.config.model_dump(mode="json"), sort_keys=True)
        if row is not None and row[3] != settings:
            raise LiveLogError(
                f"paper ledger in {log.path} trades {symbol} {timeframe} with settings {row[3]}, "
                f"not {settings}: keep the costs of the running ledger (--set fee_bps=..., "
                "slippage_bps=...), or give another --log")
        self._settings = settings
        self._trade_from = (None if trained_until is None
                            else _stamp(pd.Timestamp(trained_until) + pd.Timedelta(1, "s")))
        if row is not None:
            self._trade_from = self._conn.execute(
                "SELECT trade_from FROM paper_state WHERE symbol = ? AND timeframe = ?",
                (symbol, timeframe)).fetchone()[0]

    def _state(self) -> tuple[str, float, str | None, str] | None:
        return self._conn.execute(
            "SELECT anchor_bar, anchor_cash, last_bar, config FROM paper_state "
            "WHERE symbol = ? AND timeframe = ?", (self.symbol, self.timeframe)).fetchone()

    @property
    def last_bar(self) -> pd.Timestamp | None:
        """Newest bar the ledger has handled (None before the first)."""
        row = self._state()
        return None if row is None or row[2] is None else _ts(row[2])

    def _probabilities(self, since: pd.Timestamp, index: pd.DatetimeIndex,
                       classes: list[str]) -> np.ndarray:
        proba = np.full((len(index), len(classes)), np.nan)
        rows = self._conn.execute(
            "SELECT bar_timestamp, payload FROM signals WHERE symbol = ? AND timeframe = ? "
            "AND bar_timestamp >= ? ORDER BY bar_timestamp",
            (self.symbol, self.timeframe, _stamp(since))).fetchall()
        position = index.get_indexer(pd.DatetimeIndex([_ts(r[0]) for r in rows]))
        for where, (_, payload) in zip(position, rows, strict=True):
            if where >= 0:
                probs = json.loads(payload)["probabilities"]
                proba[where] = [probs.get(c, np.nan) for c in classes]
        return proba

    def _signals(self, candles: pd.DataFrame, start: int, classes: list[str],
                 policies: list[tuple[pd.Timestamp | None, TradePolicy]]) -> SignalArrays:
        """Orders of rows ``start …``, each row by the policy in force at its bar."""
        proba = self._probabilities(candles.index[start], candles.index, classes)
        if self._trade_from is not None:
            proba[candles.index < _ts(self._trade_from)] = np.nan  # in-sample: no trade
        parts: list[SignalArrays] = []
        for _, policy in policies:
            parts.append(signals_from_probabilities(proba, classes, candles, policy))
        if len(parts) == 1:
            return parts[0].from_row(start)
        rows = np.zeros(len(candles), dtype=np.int64)  # which policy decides each row
        for k, (since, _) in enumerate(policies):
            if since is not None:
                rows[candles.index >= since] = k
        pick = {name: np.choose(rows, [getattr(p, name) for p in parts])
                for name in ("direction", "size", "stop", "take_profit", "max_holding")}
        ladders = [p for p in parts if p.partial_take_profit is not None]
        ladder = fractions = None
        if ladders:
            width = max(p.partial_take_profit.shape[1] for p in ladders)  # type: ignore[union-attr]
            ladder = np.full((len(candles), width), np.nan)
            for k, p in enumerate(parts):
                if p.partial_take_profit is not None:
                    mine = rows == k
                    ladder[mine, : p.partial_take_profit.shape[1]] = p.partial_take_profit[mine]
            fractions = ladders[-1].partial_fractions
            if fractions is not None and len(fractions) < width:
                ladder, fractions = None, None  # ladders of unequal length: single targets
        merged = SignalArrays.build(pick["direction"], size=pick["size"], stop=pick["stop"],
                                    take_profit=pick["take_profit"],
                                    max_holding=pick["max_holding"], partial_take_profit=ladder,
                                    partial_fractions=fractions)
        return merged.from_row(start)

    def advance(self, upto: pd.Timestamp, classes: list[str],
                policies: list[tuple[pd.Timestamp | None, TradePolicy]]) -> LedgerStep:
        """Trade every stored bar up to ``upto`` not yet handled; one transaction.

        ``policies`` are ``(first bar, policy)`` pairs, oldest first (the first's bar is
        ignored): the policy of each model segment, so an open trade keeps the exits it was
        entered with when a new champion takes over.
        """
        empty = LedgerStep(pd.DataFrame(columns=list(_TRADE_COLUMNS)), None)
        state = self._state()
        if state is not None and state[2] is not None and _ts(state[2]) >= upto:
            return empty
        if state is None:
            first = self._conn.execute(
                "SELECT MIN(bar_timestamp) FROM candles WHERE symbol = ? AND timeframe = ?",
                (self.symbol, self.timeframe)).fetchone()[0]
            if first is None:
                return empty
            anchor, cash = _ts(first), float(self.config.initial_equity)
        else:
            anchor, cash = _ts(state[0]), float(state[1])
        lead = lead_bars(max([14] + [p.exits.atr_period for _, p in policies
                                     if p.exits is not None]))
        lead_from = self._conn.execute(
            "SELECT bar_timestamp FROM candles WHERE symbol = ? AND timeframe = ? AND "
            "bar_timestamp <= ? ORDER BY bar_timestamp DESC LIMIT 1 OFFSET ?",
            (self.symbol, self.timeframe, _stamp(anchor), lead)).fetchone()
        candles = self.log.candles(self.symbol, self.timeframe,
                                   since=None if lead_from is None else _ts(lead_from[0]))
        candles = candles.loc[:upto]
        start = int(candles.index.searchsorted(anchor))
        if start >= len(candles):
            return empty
        signals = self._signals(candles, start, classes, policies)
        window = candles.iloc[start:]
        config = self.config.model_copy(update={"initial_equity": cash})
        result = run_backtest(window, signals, config)
        marked = None  # the open trade: the same run, closed at the last bar
        if result.position[-1] != 0:
            marked = run_backtest(window, signals, config.model_copy(update={"close_at_end": True}))
        return self._write(window, result, marked, state, candles)

    def _write(self, window: pd.DataFrame, result: BacktestResult, marked: BacktestResult | None,
               state: tuple[str, float, str | None, str] | None,
               candles: pd.DataFrame) -> LedgerStep:
        index = window.index
        key = (self.symbol, self.timeframe)
        trades = result.trades
        flat = np.flatnonzero(result.position == 0)
        open_trade = None if marked is None else marked.trades.iloc[-1]
        last_handled = None if state is None or state[2] is None else _ts(state[2])
        new = trades if last_handled is None else trades[trades["exit_time"] > last_handled]
        with self._conn:
            for _, t in trades.iterrows():
                self._insert_trade(index, t)
            if open_trade is not None:
                self._insert_entry(index, open_trade)
            self._conn.execute("DELETE FROM paper_positions WHERE symbol = ? AND timeframe = ?", key)
            if open_trade is not None:
                self._conn.execute(
                    "INSERT INTO paper_positions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key, _stamp(index[int(open_trade["entry_bar"]) - 1]),
                     _stamp(open_trade["entry_time"]), int(open_trade["direction"]),
                     float(open_trade["units"]), float(open_trade["entry_price"]),
                     _stamp(index[-1])))
            self._conn.executemany(
                "INSERT OR IGNORE INTO paper_equity VALUES (?, ?, ?, ?, ?)",
                [(*key, _stamp(ts), float(e), int(p)) for ts, e, p in
                 zip(index, result.equity, result.position, strict=True)
                 if last_handled is None or ts > last_handled])
            if len(flat):
                anchor, cash = index[int(flat[-1])], float(result.equity[int(flat[-1])])
            else:
                assert state is not None  # the first run starts flat at its first bar
                anchor, cash = _ts(state[0]), float(state[1])
            self._conn.execute(
                "INSERT OR REPLACE INTO paper_state VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*key, _stamp(anchor), cash, _stamp(index[-1]), self._settings,
                 self._trade_from))
        open_bar = None if open_trade is None else index[int(open_trade["entry_bar"]) - 1]
        return LedgerStep(new, open_bar, candles)

    def _insert_entry(self, index: pd.Index, t: pd.Series) -> None:
        side = int(t["direction"])
        self._conn.execute(
            "INSERT OR IGNORE INTO paper_fills VALUES (?, ?, ?, ?, 'entry', ?, ?, ?, NULL)",
            (self.symbol, self.timeframe, _stamp(t["entry_time"]), _stamp(t["entry_time"]),
             side, float(t["units"]), float(t["entry_price"])))

    def _insert_trade(self, index: pd.Index, t: pd.Series) -> None:
        self._insert_entry(index, t)
        side = int(t["direction"])
        self._conn.execute(
            "INSERT OR IGNORE INTO paper_fills VALUES (?, ?, ?, ?, 'exit', ?, ?, ?, ?)",
            (self.symbol, self.timeframe, _stamp(t["exit_time"]), _stamp(t["entry_time"]),
             -side, float(t["units"]), float(t["exit_price"]), str(t["exit_reason"])))
        self._conn.execute(
            "INSERT OR IGNORE INTO paper_trades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.symbol, self.timeframe, _stamp(index[int(t["entry_bar"]) - 1]),
             _stamp(t["entry_time"]), _stamp(t["exit_time"]), side, float(t["units"]),
             float(t["entry_price"]), float(t["exit_price"]), float(t["fees"]),
             float(t["pnl"]), float(t["return"]), str(t["exit_reason"]), int(t["exit_fills"])))

    def trade_return(self, signal_bar: pd.Timestamp) -> float | None:
        """After-cost return of the closed paper trade entered at ``signal_bar``'s signal."""
        row = self._conn.execute(
            "SELECT return FROM paper_trades WHERE symbol = ? AND timeframe = ? AND "
            "signal_bar = ?", (self.symbol, self.timeframe, _stamp(signal_bar))).fetchone()
        return None if row is None else float(row[0])

    def open_signal_bar(self) -> pd.Timestamp | None:
        """Signal bar of the open paper position, or None when flat."""
        row = self._conn.execute(
            "SELECT signal_bar FROM paper_positions WHERE symbol = ? AND timeframe = ?",
            (self.symbol, self.timeframe)).fetchone()
        return None if row is None else _ts(row[0])


def paper_trades(log_path: str | Path, symbol: str | None = None,
                 timeframe: str | None = None) -> pd.DataFrame:
    """Closed paper trades of a signal log, oldest first: symbol, timeframe and the
    ``paper_trades`` columns (times as UTC timestamps); empty when there are none."""
    path = Path(log_path)
    if not path.is_file():
        raise LiveLogError(f"no signal log at {path}; give the --log of a `tradewind live` run")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        exists = conn.execute(
            "SELECT name FROM sqlite_master WHERE name = 'paper_trades'").fetchone()
        columns = ["symbol", "timeframe", *_TRADE_COLUMNS]
        rows = [] if exists is None else conn.execute(
            f"SELECT {', '.join(columns)} FROM paper_trades WHERE (? IS NULL OR symbol = ?) "
            "AND (? IS NULL OR timeframe = ?) ORDER BY symbol, timeframe, entry_time",
            (symbol, symbol, timeframe, timeframe)).fetchall()
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("signal_bar", "entry_time", "exit_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def paper_summary(log: SignalLog, symbol: str, timeframe: str) -> str:
    """One line: closed paper trades, their mean after-cost return, equity, open position."""
    conn = log._conn
    if conn.execute("SELECT name FROM sqlite_master WHERE name = 'paper_trades'").fetchone() is None:
        return f"paper {symbol} {timeframe}: no ledger"
    count, mean = conn.execute(
        "SELECT COUNT(*), AVG(return) FROM paper_trades WHERE symbol = ? AND timeframe = ?",
        (symbol, timeframe)).fetchone()
    equity = conn.execute(
        "SELECT bar_timestamp, equity FROM paper_equity WHERE symbol = ? AND timeframe = ? "
        "ORDER BY bar_timestamp DESC LIMIT 1", (symbol, timeframe)).fetchone()
    held = conn.execute(
        "SELECT direction, entry_time, entry_price FROM paper_positions WHERE symbol = ? AND "
        "timeframe = ?", (symbol, timeframe)).fetchone()
    line = f"paper {symbol} {timeframe}: {count} closed trade(s)"
    if count:
        line += f", mean {mean * 1e4:+.1f} bp after costs"
    if equity is not None:
        line += f", equity {equity[1]:,.2f} at {equity[0]}"
    line += ", flat" if held is None else (
        f", {'long' if held[0] > 0 else 'short'} since {held[1]} at {held[2]:.6g}")
    return line
