"""An append-only SQLite log of signals: one row per (symbol, timeframe, bar), never two.

Table ``signals``::

    id              INTEGER PRIMARY KEY
    symbol          TEXT       timeframe   TEXT
    bar_timestamp   TEXT       ISO-8601 UTC bar open time, 'YYYY-MM-DDTHH:MM:SSZ' (sorts by time)
    direction       TEXT       confidence  REAL
    payload         TEXT       the Signal as JSON (model_dump(mode="json"))
    logged_at       TEXT       wall-clock UTC time of the insert
    bundle          TEXT       digest of the model that computed the row (NULL in logs
                               written before the column existed)
    UNIQUE(symbol, timeframe, bar_timestamp)

Table ``segments`` records each start of the log with a model (symbol, timeframe, bundle
digest, the last bar logged before it, start time). :meth:`SignalLog.begin` refuses to
continue a symbol/timeframe with a different model than its latest segment's unless asked
for a new segment, so a log never silently mixes two models' signals.

Table ``candles`` keeps the closed candles the loop saw (one row per symbol, timeframe and
bar open time), so retraining and monitoring can read exactly what the model was given.
Table ``outcomes`` holds what happened after each logged signal once its horizon has
passed: the realised label, the forward return over the label horizon, and the after-cost
return of the paper trade the policy entered on that bar (NULL when it entered none)::

    symbol, timeframe, bar_timestamp   the signal's bar (UNIQUE together)
    label          TEXT   realised class name as the bundle names its classes ('UP', 'DOWN';
                          'SELL', 'HOLD', 'BUY'), 'NONE' where training has no label
                          either (an exactly flat move, a warm-up bar)
    forward_return REAL   close[t + horizon] / close[t] - 1
    trade_return   REAL   after-cost return of the paper trade entered at this signal
    resolved_at    TEXT   wall-clock UTC time it was filled in

The loop fills ``candles`` before it handles the bars, and ``outcomes`` once a signal's
horizon has passed and its paper trade (if any) has closed (:mod:`tradewind.live.outcomes`).
The paper ledger's tables (``paper_*``) are described in :mod:`tradewind.live.ledger`,
table ``retrains`` in :mod:`tradewind.live.retrain`.

Inserts are ``INSERT OR IGNORE`` and committed one by one, so a crash loses at most the
signal being written and a restart that recomputes a logged bar cannot duplicate it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import numpy as np
import pandas as pd

from tradewind.data.canonical import COLUMNS, as_utc_index
from tradewind.exceptions import LiveLogError
from tradewind.signals.model import Signal

__all__ = ["SignalLog"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    bar_timestamp TEXT NOT NULL,
    direction TEXT NOT NULL,
    confidence REAL NOT NULL,
    payload TEXT NOT NULL,
    logged_at TEXT NOT NULL,
    bundle TEXT,
    UNIQUE(symbol, timeframe, bar_timestamp)
)
"""
_SEGMENTS = """
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    bundle TEXT NOT NULL,
    after_bar TEXT,
    started_at TEXT NOT NULL
)
"""
_CANDLES = """
CREATE TABLE IF NOT EXISTS candles (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    bar_timestamp TEXT NOT NULL,
    open REAL NOT NULL,
    high REAL NOT NULL,
    low REAL NOT NULL,
    close REAL NOT NULL,
    volume REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, bar_timestamp)
)
"""
_OUTCOMES = """
CREATE TABLE IF NOT EXISTS outcomes (
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    bar_timestamp TEXT NOT NULL,
    label TEXT NOT NULL,
    forward_return REAL,
    trade_return REAL,
    resolved_at TEXT NOT NULL,
    PRIMARY KEY (symbol, timeframe, bar_timestamp)
)
"""
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _stamp(value: datetime | pd.Timestamp) -> str:
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    return ts.strftime(_FORMAT)


class SignalLog:
    """SQLite signal log at ``path`` (``":memory:"`` for a throw-away one); a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path)
        self._bundles: dict[tuple[str, str], str] = {}  # (symbol, timeframe) → digest
        with self._conn:
            self._conn.execute(_SCHEMA)
            self._conn.execute(_SEGMENTS)
            self._conn.execute(_CANDLES)
            self._conn.execute(_OUTCOMES)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(signals)")}
            if "bundle" not in columns:  # a log written before rows carried their model
                self._conn.execute("ALTER TABLE signals ADD COLUMN bundle TEXT")

    def current_bundle(self, symbol: str, timeframe: str) -> str | None:
        """Digest of the model the latest segment (or, in an older log, row) of
        ``symbol``/``timeframe`` was logged with; None for a new or pre-digest log."""
        row = self._conn.execute(
            "SELECT bundle FROM segments WHERE symbol = ? AND timeframe = ? "
            "ORDER BY id DESC LIMIT 1", (symbol, timeframe)).fetchone()
        if row is None:
            row = self._conn.execute(
                "SELECT bundle FROM signals WHERE symbol = ? AND timeframe = ? "
                "ORDER BY bar_timestamp DESC LIMIT 1", (symbol, timeframe)).fetchone()
        return None if row is None else row[0]

    def begin(self, symbol: str, timeframe: str, bundle: str, *, new_segment: bool = False) -> bool:
        """Log ``symbol``/``timeframe`` with the model of digest ``bundle`` from now on.

        Returns True when a new segment was recorded (a new log, a log written before
        digests were recorded, or ``new_segment`` with another model).

        Raises
        ------
        LiveLogError
            The log's latest segment of ``symbol``/``timeframe`` was written by another
            model and ``new_segment`` is False; both digests are named.
        """
        current = self.current_bundle(symbol, timeframe)
        self._bundles[(symbol, timeframe)] = bundle
        if current == bundle:
            return False
        last = self.last_timestamp(symbol, timeframe)
        if current is not None and not new_segment:
            raise LiveLogError(
                f"signal log {self.path} holds {symbol} {timeframe} signals of model "
                f"{current[:16]}{'' if last is None else f' (up to bar {last:%Y-%m-%d %H:%M})'}, "
                f"not of this bundle "
                f"{bundle[:16]}: pass --new-segment to continue the log with this bundle "
                "(recorded as a new segment), or give another --log")
        with self._conn:
            self._conn.execute(
                "INSERT INTO segments (symbol, timeframe, bundle, after_bar, started_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (symbol, timeframe, bundle, None if last is None else _stamp(last),
                 datetime.now(UTC).strftime(_FORMAT)))
        return True

    def segments(self, symbol: str, timeframe: str) -> list[tuple[str, pd.Timestamp | None]]:
        """(bundle digest, last bar logged before it) of each segment, oldest first."""
        rows = self._conn.execute(
            "SELECT bundle, after_bar FROM segments WHERE symbol = ? AND timeframe = ? "
            "ORDER BY id", (symbol, timeframe)).fetchall()
        return [(b, None if a is None else pd.Timestamp(a).tz_convert("UTC")) for b, a in rows]

    def append(self, signal: Signal) -> bool:
        """Log ``signal``; False (and nothing written) when its bar is already logged.

        The row records the digest given to :meth:`begin` for the signal's symbol and
        timeframe (NULL when it was not called), so one log serves several models at once.
        """
        with self._conn:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO signals (symbol, timeframe, bar_timestamp, direction, "
                "confidence, payload, logged_at, bundle) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (signal.symbol, signal.timeframe, _stamp(signal.timestamp), signal.direction.value,
                 signal.confidence, json.dumps(signal.model_dump(mode="json"), sort_keys=True),
                 datetime.now(UTC).strftime(_FORMAT),
                 self._bundles.get((signal.symbol, signal.timeframe))),
            )
        return cursor.rowcount == 1

    def last_timestamp(self, symbol: str, timeframe: str) -> pd.Timestamp | None:
        """Open time of the newest logged bar of ``symbol``/``timeframe``, or None."""
        row = self._conn.execute(
            "SELECT MAX(bar_timestamp) FROM signals WHERE symbol = ? AND timeframe = ?",
            (symbol, timeframe),
        ).fetchone()
        return None if row[0] is None else pd.Timestamp(row[0]).tz_convert("UTC")

    def signals(self, symbol: str | None = None, timeframe: str | None = None) -> list[Signal]:
        """Logged signals (optionally of one symbol / timeframe), oldest bar first."""
        rows = self._conn.execute(
            "SELECT payload FROM signals WHERE (? IS NULL OR symbol = ?) AND "
            "(? IS NULL OR timeframe = ?) ORDER BY symbol, timeframe, bar_timestamp",
            (symbol, symbol, timeframe, timeframe),
        ).fetchall()
        return [Signal.model_validate_json(payload) for (payload,) in rows]

    def bar_timestamps(self, symbol: str, timeframe: str) -> list[pd.Timestamp]:
        """Every logged bar open time of ``symbol``/``timeframe``, ascending."""
        rows = self._conn.execute(
            "SELECT bar_timestamp FROM signals WHERE symbol = ? AND timeframe = ? "
            "ORDER BY bar_timestamp", (symbol, timeframe),
        ).fetchall()
        return [pd.Timestamp(value).tz_convert("UTC") for (value,) in rows]

    def store_candles(self, symbol: str, timeframe: str, candles: pd.DataFrame) -> int:
        """Keep closed canonical candles (bars already stored are left as they are);
        returns how many were new."""
        rows = [(symbol, timeframe, _stamp(ts), *map(float, values))
                for ts, values in zip(candles.index, candles[list(COLUMNS)].to_numpy(), strict=True)]
        with self._conn:
            before = self._conn.total_changes
            self._conn.executemany(
                "INSERT OR IGNORE INTO candles (symbol, timeframe, bar_timestamp, open, high, low, "
                "close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            return self._conn.total_changes - before

    def last_candle(self, symbol: str, timeframe: str) -> pd.Timestamp | None:
        """Open time of the newest stored candle of ``symbol``/``timeframe``, or None."""
        row = self._conn.execute(
            "SELECT MAX(bar_timestamp) FROM candles WHERE symbol = ? AND timeframe = ?",
            (symbol, timeframe)).fetchone()
        return None if row[0] is None else pd.Timestamp(row[0]).tz_convert("UTC")

    def candles(self, symbol: str, timeframe: str, *, since: pd.Timestamp | None = None
                ) -> pd.DataFrame:
        """The stored candles of ``symbol``/``timeframe`` (from ``since`` on), canonical frame."""
        rows = self._conn.execute(
            "SELECT bar_timestamp, open, high, low, close, volume FROM candles "
            "WHERE symbol = ? AND timeframe = ? AND (? IS NULL OR bar_timestamp >= ?) "
            "ORDER BY bar_timestamp",
            (symbol, timeframe, *(2 * [None if since is None else _stamp(since)])),
        ).fetchall()
        stamps = pd.to_datetime([r[0] for r in rows], format=_FORMAT, utc=True)
        index = as_utc_index(pd.DatetimeIndex(stamps, name="timestamp"))
        values = np.array([r[1:] for r in rows], dtype=np.float64).reshape(len(rows), len(COLUMNS))
        frame = pd.DataFrame(values, columns=list(COLUMNS), index=index)
        frame.attrs.update(source=f"signal log {self.path} ({symbol} {timeframe})",
                           timeframe=timeframe, naive_timezone=False)
        return frame

    def record_outcome(self, symbol: str, timeframe: str, bar: pd.Timestamp, *, label: str,
                       forward_return: float | None, trade_return: float | None = None) -> bool:
        """Record what happened after the signal of ``bar``; False when already recorded."""
        with self._conn:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO outcomes (symbol, timeframe, bar_timestamp, label, "
                "forward_return, trade_return, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (symbol, timeframe, _stamp(bar), label,
                 None if forward_return is None else float(forward_return),
                 None if trade_return is None else float(trade_return),
                 datetime.now(UTC).strftime(_FORMAT)))
        return cursor.rowcount == 1

    def outcomes(self, symbol: str, timeframe: str) -> pd.DataFrame:
        """Recorded outcomes of ``symbol``/``timeframe`` indexed by signal bar: columns
        label, forward_return, trade_return (NaN where none)."""
        rows = self._conn.execute(
            "SELECT bar_timestamp, label, forward_return, trade_return FROM outcomes "
            "WHERE symbol = ? AND timeframe = ? ORDER BY bar_timestamp", (symbol, timeframe),
        ).fetchall()
        index = as_utc_index(pd.DatetimeIndex([r[0] for r in rows], name="timestamp"))
        frame = pd.DataFrame({"label": pd.Series([r[1] for r in rows], dtype="object"),
                              "forward_return": [r[2] for r in rows],
                              "trade_return": [r[3] for r in rows]})
        frame.index = index
        frame[["forward_return", "trade_return"]] = frame[
            ["forward_return", "trade_return"]].astype("float64")
        return frame

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SignalLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
