"""Where the live loop gets candles: an exchange (ccxt) or a file replayed bar by bar.

Only **closed** bars ever leave a source. An exchange's ``fetch_ohlcv`` also returns the
bar that is still forming; :class:`ExchangeSource` recognises it by its open time: a row
whose ``open_ms + timeframe_ms`` is after the source's clock (``now``) has not closed and
is dropped (it comes back complete on the next poll). :class:`ReplaySource` reveals a
candle file one bar at a time, so a replay exercises exactly the live code path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from tradewind.data.canonical import COLUMNS, as_utc_index
from tradewind.exceptions import ConfigError, DataError, FetchError
from tradewind.extras import require
from tradewind.signals.generate import check_candles
from tradewind.timeframes import infer_timeframe, timeframe_seconds

__all__ = ["CandleSource", "ExchangeSource", "ReplaySource", "rows_to_candles"]


@runtime_checkable
class CandleSource(Protocol):
    """Closed candles, newest last, and a way to wait for the next bar close."""

    timeframe: str

    def prepare(self, after: pd.Timestamp | None, warmup: int) -> None:
        """Hint before the first poll: bars up to ``after`` are already handled and a
        prediction needs ``warmup`` bars (a replay may skip ahead; an exchange ignores it)."""
        ...

    def closed_candles(self, limit: int) -> pd.DataFrame:
        """The newest ``limit`` closed bars as canonical candles (ascending)."""
        ...

    def wait(self) -> bool:
        """Block until the next bar may have closed; False when no bar will ever come."""
        ...


def rows_to_candles(rows: list[list[Any]], where: str) -> pd.DataFrame:
    """ccxt OHLCV rows ``[ms, open, high, low, close, volume]`` → canonical candles.

    Rows are sorted by time and de-duplicated (the last copy of a timestamp wins, as
    exchanges update a bar until it closes); malformed rows raise DataError.
    """
    if not rows:
        return pd.DataFrame({c: np.array([], dtype=np.float64) for c in COLUMNS},
                            index=as_utc_index(pd.DatetimeIndex([], tz="UTC")))
    try:
        table = np.array([[np.nan if v is None else float(v) for v in row[:6]] for row in rows],
                         dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DataError(f"{where}: malformed OHLCV row ({err}); expected "
                        "[ms, open, high, low, close, volume]") from None
    if table.ndim != 2 or table.shape[1] != 6 or not np.isfinite(table[:, 0]).all():
        bad = next((r for r in rows if len(r) < 6 or r[0] is None), rows[0])
        raise DataError(f"{where}: malformed OHLCV row {bad!r}; expected "
                        "[ms, open, high, low, close, volume] with a timestamp")
    stamps = table[:, 0].astype(np.int64)
    order = np.argsort(stamps, kind="stable")
    table, stamps = table[order], stamps[order]
    keep = np.ones(len(stamps), dtype=bool)
    keep[:-1] = stamps[:-1] != stamps[1:]
    table, stamps = table[keep], stamps[keep]
    index = as_utc_index(pd.to_datetime(stamps, unit="ms", utc=True))
    frame = pd.DataFrame(table[:, 1:], index=index, columns=list(COLUMNS))
    check_candles(frame, where)
    return frame


class ExchangeSource:
    """Closed bars from a ccxt exchange object's ``fetch_ohlcv`` (or anything with it).

    Parameters
    ----------
    exchange:
        A ccxt exchange (``tradewind.data.make_exchange("binance")``) or a test fake.
    symbol, timeframe:
        ccxt unified symbol and bar length.
    page_limit:
        Rows asked per call (exchanges cap pages; the source pages forward).
    settle_seconds:
        Extra wait after a bar's close before polling, so the exchange has closed it.
    clock:
        The present in unix ms (default: the system clock); decides which bar is forming.
    sleep:
        Used by :meth:`wait` and the retry backoff (tests pass a recorder).
    max_retries:
        Retries of ccxt network errors, with exponential backoff, before FetchError.
    """

    def __init__(
        self, exchange: Any, symbol: str, timeframe: str, *, page_limit: int = 1000,
        settle_seconds: float = 2.0, clock: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep, max_retries: int = 3,
    ) -> None:
        if page_limit < 1:
            raise ConfigError(f"ExchangeSource: page_limit must be >= 1, got {page_limit}")
        self.exchange = exchange
        self.symbol = symbol
        self.timeframe = timeframe
        self.step_ms = timeframe_seconds(timeframe) * 1000
        self.page_limit = page_limit
        self.settle_seconds = settle_seconds
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.sleep = sleep
        self.max_retries = max_retries
        self.dropped_forming = 0

    def prepare(self, after: pd.Timestamp | None, warmup: int) -> None:
        """Nothing to do: the exchange always serves the newest bars."""

    def _call(self, since: int, limit: int) -> list[list[Any]]:
        ccxt = require("ccxt", "live --exchange")

        where = f"live {getattr(self.exchange, 'id', 'exchange')} {self.symbol} {self.timeframe}"
        attempt = 0
        while True:
            try:
                return list(self.exchange.fetch_ohlcv(self.symbol, self.timeframe,
                                                      since=since, limit=limit))
            except ccxt.NetworkError as err:  # includes RateLimitExceeded, RequestTimeout
                if attempt >= self.max_retries:
                    raise FetchError(
                        f"{where}: {type(err).__name__}: {err} after {attempt} retries; restart "
                        "the loop: it resumes after the last logged bar"
                    ) from err
                self.sleep(2.0**attempt)
                attempt += 1
            except ccxt.BaseError as err:  # ExchangeError, BadSymbol, ...: a retry won't help
                raise FetchError(f"{where}: {type(err).__name__}: {err}") from err

    def closed_candles(self, limit: int) -> pd.DataFrame:
        """The newest ``limit`` closed bars; the forming bar is dropped (see module doc)."""
        now = int(self.clock())
        since = (now // self.step_ms - limit - 1) * self.step_ms
        rows: list[list[Any]] = []
        cursor = since
        while cursor + self.step_ms <= now:
            page = self._call(cursor, min(self.page_limit, limit + 2))
            page = [r for r in page if r and r[0] is not None and int(r[0]) >= cursor]
            if not page:
                break
            rows.extend(page)
            cursor = int(max(r[0] for r in page)) + self.step_ms
        frame = rows_to_candles(rows, f"live {self.symbol} {self.timeframe}")
        opens = frame.index.as_unit("ns").asi8 // 1_000_000
        forming = opens + self.step_ms > now
        self.dropped_forming += int(forming.sum())
        return frame.loc[~forming].iloc[-limit:]

    def wait(self) -> bool:
        """Sleep until the current bar closes (plus ``settle_seconds``); always True."""
        now = int(self.clock())
        next_close = (now // self.step_ms + 1) * self.step_ms
        self.sleep((next_close - now) / 1000.0 + self.settle_seconds)
        return True


class ReplaySource:
    """Reveal a candle file (or frame) one bar at a time, like a market that closes bars.

    Parameters
    ----------
    file_or_frame:
        A path or data source for :func:`tradewind.data.load`, or canonical candles.
    speed:
        Speed-up over real time (60: a 1-minute bar every second); 0 replays as fast as
        possible.
    timeframe:
        Declared bar length (default: the file's own or the index spacing).
    sleep:
        Used between bars (tests pass a recorder).
    """

    def __init__(
        self, file_or_frame: str | Path | pd.DataFrame, speed: float = 0.0, *,
        timeframe: str | None = None, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(file_or_frame, pd.DataFrame):
            frame = file_or_frame
            check_candles(frame, "replay candles")
        else:
            from tradewind.data import load

            frame = load(file_or_frame, timeframe=timeframe)
        if speed < 0:
            raise ConfigError(f"ReplaySource: speed must be >= 0 (0 = no waiting), got {speed}")
        tf = timeframe or frame.attrs.get("timeframe") or infer_timeframe(frame.index)
        if not tf:
            raise ConfigError("ReplaySource: cannot tell the timeframe; pass timeframe='1h'")
        self.frame = frame
        self.timeframe = str(tf)
        self.speed = float(speed)
        self.sleep = sleep
        self.cursor = 1 if len(frame) else 0

    def prepare(self, after: pd.Timestamp | None, warmup: int) -> None:
        """Skip ahead: reveal at least ``warmup`` bars and the first bar after ``after``."""
        target = max(self.cursor, min(int(warmup), len(self.frame)))
        if after is not None:
            first_new = int(self.frame.index.searchsorted(after, side="right"))
            target = max(target, min(first_new + 1, len(self.frame)))
        self.cursor = target

    def closed_candles(self, limit: int) -> pd.DataFrame:
        """The newest ``limit`` revealed bars."""
        return self.frame.iloc[max(0, self.cursor - limit): self.cursor]

    def wait(self) -> bool:
        """Reveal the next bar (after ``bar / speed`` seconds); False at the end of the file."""
        if self.cursor >= len(self.frame):
            return False
        if self.speed > 0:
            self.sleep(timeframe_seconds(self.timeframe) / self.speed)
        return self.advance()

    def advance(self) -> bool:
        """Reveal the next bar now (a loop over several replays waits once for all of
        them); False at the end of the file."""
        if self.cursor >= len(self.frame):
            return False
        self.cursor += 1
        return True
