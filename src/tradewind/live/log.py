"""An append-only SQLite log of signals: one row per (symbol, timeframe, bar), never two.

Table ``signals``::

    id              INTEGER PRIMARY KEY
    symbol          TEXT       timeframe   TEXT
    bar_timestamp   TEXT       ISO-8601 UTC bar open time, 'YYYY-MM-DDTHH:MM:SSZ' (sorts by time)
    direction       TEXT       confidence  REAL
    payload         TEXT       the Signal as JSON (model_dump(mode="json"))
    logged_at       TEXT       wall-clock UTC time of the insert
    UNIQUE(symbol, timeframe, bar_timestamp)

Inserts are ``INSERT OR IGNORE`` and committed one by one, so a crash loses at most the
signal being written and a restart that recomputes a logged bar cannot duplicate it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import pandas as pd

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
    UNIQUE(symbol, timeframe, bar_timestamp)
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
        with self._conn:
            self._conn.execute(_SCHEMA)

    def append(self, signal: Signal) -> bool:
        """Log ``signal``; False (and nothing written) when its bar is already logged."""
        with self._conn:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO signals (symbol, timeframe, bar_timestamp, direction, "
                "confidence, payload, logged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (signal.symbol, signal.timeframe, _stamp(signal.timestamp), signal.direction.value,
                 signal.confidence, json.dumps(signal.model_dump(mode="json"), sort_keys=True),
                 datetime.now(UTC).strftime(_FORMAT)),
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

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SignalLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
