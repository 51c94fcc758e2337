"""Scheduled retraining from the live loop: a separate process, started at bar boundaries.

When the bar clock (the close time of the bar just handled) passes a multiple of
``every`` (counted from the Unix epoch, UTC) later than the last start (the first start:
the first such multiple after the loop started), and no retrain is running, the loop
exports the candles it has stored to ``<log>.retrain.parquet`` (atomically) and starts::

    <tradewind> retrain EXPERIMENT --data <log>.retrain.parquet \\
        [--tracking-uri URI] --registry-root DIR --out <log>.retrain --quiet

without waiting for it; each later bar polls it. Table ``retrains`` of the signal log
records each run (a restart does not start one again before the next boundary)::

    id           INTEGER PRIMARY KEY
    symbol, timeframe TEXT
    bar_clock    TEXT   the bar close time that started it (UTC, ISO 'Z')
    started_at   TEXT   wall-clock UTC start
    ended_at     TEXT   wall-clock UTC end (NULL while running, or if the loop died first)
    exit_code    INTEGER  the process's exit status (negative: killed by that signal)
    stderr_tail  TEXT   the last 2,000 characters of its standard error
    command      TEXT   the command line (JSON list)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pandas as pd

from tradewind.data.atomic import write_parquet_atomic
from tradewind.exceptions import ConfigError
from tradewind.live.log import SignalLog, _stamp
from tradewind.timeframes import timeframe_seconds

__all__ = ["RetrainFinished", "RetrainSchedule", "Retrainer", "parse_every"]

_TABLE = """
CREATE TABLE IF NOT EXISTS retrains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL, bar_clock TEXT NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT, exit_code INTEGER, stderr_tail TEXT,
    command TEXT NOT NULL
)
"""
_TAIL = 2000


def parse_every(text: str) -> pd.Timedelta:
    """``"1d"``, ``"12h"``, ``"30m"``, ``"1w"`` → a positive Timedelta; ConfigError otherwise."""
    try:
        seconds = timeframe_seconds(text)
    except ConfigError:
        seconds = 0
    if seconds <= 0:
        raise ConfigError(f"--retrain-every {text!r} is not a duration; use e.g. 30m, 12h, 1d, 1w")
    return pd.Timedelta(seconds=seconds)


def tradewind_program() -> list[str]:
    """The installed console script next to this Python (``.venv/bin/tradewind``)."""
    return [str(Path(sys.executable).parent / "tradewind")]


@dataclass(frozen=True)
class RetrainSchedule:
    """What to retrain and how often.

    ``program`` is the command before ``retrain`` (default: the installed ``tradewind``);
    tests pass ``[python, stand_in.py]``.
    """

    experiment: Path
    every: pd.Timedelta
    registry_root: Path = Path("runs")
    tracking_uri: str | None = None
    program: Sequence[str] = field(default_factory=tradewind_program)


@dataclass(frozen=True)
class RetrainFinished:
    """A retrain process that ended: its exit code and the tail of its standard error."""

    exit_code: int
    stderr_tail: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Retrainer:
    """Starts and polls at most one retrain process for one (symbol, timeframe)."""

    def __init__(self, schedule: RetrainSchedule, log: SignalLog, symbol: str,
                 timeframe: str) -> None:
        self.schedule = schedule
        self.log = log
        self.symbol = symbol
        self.timeframe = timeframe
        self.data_path = Path(f"{log.path}.retrain.parquet")
        self.out_dir = Path(f"{log.path}.retrain")
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._row: int | None = None
        self._first: pd.Timestamp | None = None
        with log._conn:
            log._conn.execute(_TABLE)

    @property
    def running(self) -> bool:
        return self._proc is not None

    def _last_clock(self) -> pd.Timestamp | None:
        row = self.log._conn.execute(
            "SELECT MAX(bar_clock) FROM retrains WHERE symbol = ? AND timeframe = ?",
            (self.symbol, self.timeframe)).fetchone()
        return None if row[0] is None else pd.Timestamp(row[0]).tz_convert("UTC")

    def due(self, bar_clock: pd.Timestamp) -> bool:
        """True when a boundary lies after the last start (or, before any, after the first
        bar clock this process saw) and at or before ``bar_clock``."""
        every = self.schedule.every.value
        boundary = (bar_clock.value // every) * every
        last = self._last_clock()
        if last is None:
            if self._first is None:
                self._first = bar_clock
            last = self._first
        return boundary > last.value

    def command(self) -> list[str]:
        """The retrain command line."""
        s = self.schedule
        uri = [] if s.tracking_uri is None else ["--tracking-uri", s.tracking_uri]
        return [*s.program, "retrain", str(s.experiment), "--data", str(self.data_path), *uri,
                "--registry-root", str(s.registry_root), "--out", str(self.out_dir), "--quiet"]

    def maybe_start(self, bar_clock: pd.Timestamp) -> bool:
        """Start a retrain when one is due and none is running; True when started."""
        if self._proc is not None or not self.due(bar_clock):
            return False
        candles = self.log.candles(self.symbol, self.timeframe)
        write_parquet_atomic(candles, self.data_path)
        argv = self.command()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this call, closed by poll
        self._proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                      stdin=subprocess.DEVNULL)
        with self.log._conn:
            cursor = self.log._conn.execute(
                "INSERT INTO retrains (symbol, timeframe, bar_clock, started_at, command) "
                "VALUES (?, ?, ?, ?, ?)",
                (self.symbol, self.timeframe, _stamp(bar_clock), _now(), json.dumps(argv)))
        self._row = cursor.lastrowid
        return True

    def poll(self, *, wait: bool = False) -> RetrainFinished | None:
        """The finished run (recorded in ``retrains``), or None while one runs or none does."""
        if self._proc is None:
            return None
        code = self._proc.wait() if wait else self._proc.poll()
        if code is None:
            return None
        assert self._stderr is not None
        self._stderr.seek(0)
        tail = self._stderr.read().decode("utf-8", errors="replace")[-_TAIL:]
        self._stderr.close()
        with self.log._conn:
            self.log._conn.execute(
                "UPDATE retrains SET ended_at = ?, exit_code = ?, stderr_tail = ? WHERE id = ?",
                (_now(), int(code), tail, self._row))
        self._proc = self._stderr = self._row = None
        return RetrainFinished(int(code), tail)

    def stop(self) -> RetrainFinished | None:
        """Terminate a running retrain (the loop is ending abnormally) and record it."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        return self.poll(wait=True)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
