"""Download candles from an exchange through ccxt into a ``Store``, resumably.

The only exchange method used is ccxt's unified
``exchange.fetch_ohlcv(symbol, timeframe, since=ms, limit=n)``, which returns
``[[open_ms, open, high, low, close, volume], ...]`` ascending from ``since``. Any
object with that method (plus ``id``, ``rateLimit`` and ``enableRateLimit``) works,
which is how the tests run without a network.

Behaviour:

- **Paginated**: after each page, ``since`` moves to the last bar + one bar. A short
  page does not mean the end (exchanges cap pages below ``limit``); the fetch stops
  at ``until``, at the last closed bar, or at an empty page.
- **Resumable**: a series already in the store is continued after its last bar (and
  back-filled before its first bar when ``since`` is earlier), so re-running
  fetches only what is missing.
- **Safe**: every page is merged into the store atomically before the next call, so
  an error loses nothing; rows are de-duplicated by timestamp across pages.
- **Closed bars only**: a bar whose ``open + timeframe`` is after ``now`` is still
  forming and is dropped (it will be fetched complete next time).
- **Rate limits**: with ``exchange.enableRateLimit`` True (what ``make_exchange``
  sets), ccxt itself sleeps between requests; otherwise ``fetch`` sleeps
  ``exchange.rateLimit`` milliseconds between calls. ``ccxt.NetworkError`` (which
  includes ``RateLimitExceeded`` and timeouts) is retried ``max_retries`` times with
  exponential backoff; any other ccxt error, or a persistent one, is a FetchError that
  says what was saved and that re-running resumes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradewind.data.canonical import COLUMNS, as_utc_index
from tradewind.data.store import Store
from tradewind.exceptions import ConfigError, FetchError
from tradewind.extras import require
from tradewind.timeframes import timeframe_seconds

__all__ = ["FetchResult", "fetch", "make_exchange"]

TimeLike = str | int | float | dt.datetime | pd.Timestamp


@dataclass(frozen=True)
class FetchResult:
    """What one ``fetch`` run did, and what the store holds afterwards."""

    exchange: str
    symbol: str
    timeframe: str
    path: Path
    rows_added: int
    total_rows: int
    calls: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    dropped_open_bar: bool


def make_exchange(name: str) -> Any:
    """A real ccxt exchange with ccxt's own rate limiting on (``enableRateLimit``)."""
    ccxt = require("ccxt", f"exchange {name!r}")

    if name not in ccxt.exchanges:
        close = difflib.get_close_matches(name, ccxt.exchanges, n=5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"unknown exchange {name!r}: use a ccxt exchange id (ccxt.exchanges lists "
            f"{len(ccxt.exchanges)}, e.g. binance, kraken, coinbase).{hint}"
        )
    return getattr(ccxt, name)({"enableRateLimit": True})


def fetch(
    exchange: Any,
    symbol: str,
    timeframe: str,
    since: TimeLike,
    store: Store,
    *,
    until: TimeLike | None = None,
    limit: int = 1000,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = 3,
    now: TimeLike | None = None,
) -> FetchResult:
    """Fetch closed ``timeframe`` bars of ``symbol`` from ``since`` into ``store``.

    Parameters
    ----------
    exchange:
        A ccxt exchange object (or any object with ``fetch_ohlcv``), or a ccxt id.
    symbol:
        ccxt unified symbol, e.g. ``"BTC/USDT"``.
    since, until:
        Bar open times: ISO string, datetime/Timestamp (naive = UTC) or unix ms.
        Bars with open time >= ``until`` are not fetched (default: up to ``now``).
    limit:
        Bars asked per call.
    sleep:
        Used for the rate-limit pause and the retry backoff (tests pass a recorder).
    now:
        The present, for deciding which bar is still open (default: the clock).

    Raises
    ------
    FetchError
        A non-retryable exchange error, or a network error that persisted after
        ``max_retries`` retries; rows saved before it stay in the store.
    """
    if isinstance(exchange, str):
        exchange = make_exchange(exchange)
    exchange_id = str(getattr(exchange, "id", "") or "")
    if not exchange_id:
        raise ConfigError("fetch: the exchange object has no 'id' to name its store folder")
    if limit < 1 or max_retries < 0:
        raise ConfigError(
            f"fetch: limit ({limit}) must be >= 1 and max_retries ({max_retries}) >= 0"
        )
    throttled_by_ccxt = bool(getattr(exchange, "enableRateLimit", False))
    session = _Session(
        exchange=exchange,
        exchange_id=exchange_id,
        symbol=symbol,
        timeframe=timeframe,
        store=store,
        limit=limit,
        sleep=sleep,
        max_retries=max_retries,
        pause=0.0 if throttled_by_ccxt else float(getattr(exchange, "rateLimit", 0) or 0) / 1e3,
        step=timeframe_seconds(timeframe) * 1000,
        fixed_now=None if now is None else _to_ms(now, "now"),
    )
    until_ms = None if until is None else _to_ms(until, "until")
    windows = session.windows(_to_ms(since, "since"), until_ms)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[covered]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not progress) as bar:
        for start, end in windows:
            session.run_window(start, end, bar)
    final = store.span(exchange_id, symbol, timeframe)
    return FetchResult(
        exchange=exchange_id,
        symbol=symbol,
        timeframe=timeframe,
        path=store.path(exchange_id, symbol, timeframe),
        rows_added=session.added,
        total_rows=store.count(exchange_id, symbol, timeframe),
        calls=session.calls,
        first=None if final is None else final[0],
        last=None if final is None else final[1],
        dropped_open_bar=session.dropped_open_bar,
    )


@dataclass
class _Session:
    """One fetch run: the fixed settings plus what happened so far."""

    exchange: Any
    exchange_id: str
    symbol: str
    timeframe: str
    store: Store
    limit: int
    sleep: Callable[[float], None]
    max_retries: int
    pause: float
    step: int
    fixed_now: int | None
    calls: int = 0
    added: int = 0
    dropped_open_bar: bool = False

    def now(self) -> int:
        """The present in unix ms (fixed in tests, the clock otherwise)."""
        return self.fixed_now if self.fixed_now is not None else int(time.time() * 1000)

    def windows(self, since: int, until: int | None) -> list[tuple[int, int | None]]:
        """[start, end) ranges missing from the store (end None: up to now)."""
        span = self.store.span(self.exchange_id, self.symbol, self.timeframe)
        if span is None:
            return [(since, until)]
        first, last = (int(t.value // 1_000_000) for t in span)
        out: list[tuple[int, int | None]] = []
        if since < first:  # back-fill before the stored range
            out.append((since, first if until is None else min(first, until)))
        out.append((max(since, last + self.step), until))
        return out

    def run_window(self, start: int, end: int | None, bar: Any) -> None:
        """Fetch pages from ``start`` until ``end``, the last closed bar or an empty page."""
        total = max((end if end is not None else self.now()) - start, 1)
        task = bar.add_task(
            f"{self.exchange_id} {self.symbol} {self.timeframe}", total=total, covered=_iso(start)
        )
        cursor = start
        while True:
            now = self.now()
            if cursor + self.step > now or (end is not None and cursor >= end):
                break
            page = _page(self.call(cursor), cursor, end, now, self.step, self)
            if page.empty:
                break
            self.added += self.store.append(page, self.exchange_id, self.symbol, self.timeframe)
            cursor = int(page.index[-1].value // 1_000_000) + self.step
            bar.update(task, completed=min(cursor - start, total), covered=_iso(cursor))
        bar.update(task, completed=total)

    def call(self, cursor: int) -> list[list[Any]]:
        """``fetch_ohlcv`` with the rate-limit pause and retries of network errors."""
        ccxt = require("ccxt", "data fetch")

        attempt = 0
        while True:
            if self.calls and self.pause > 0:
                self.sleep(self.pause)
            self.calls += 1
            try:
                rows = self.exchange.fetch_ohlcv(
                    self.symbol, self.timeframe, since=cursor, limit=self.limit
                )
                return list(rows)
            except ccxt.NetworkError as err:  # includes RateLimitExceeded, RequestTimeout
                if attempt >= self.max_retries:
                    raise self.failure(err, attempt) from err
                self.sleep(max(self.pause, 1.0) * 2**attempt)
                attempt += 1
            except ccxt.BaseError as err:  # ExchangeError, BadSymbol, ...: a retry won't help
                raise self.failure(err, attempt) from err

    def failure(self, err: Exception, retries: int) -> FetchError:
        """The FetchError for ``err``: what was saved, and that re-running resumes."""
        key = (self.exchange_id, self.symbol, self.timeframe)
        span = self.store.span(*key)
        where = self.store.path(*key)
        held = (
            f"the store holds {self.store.count(*key)} row(s) up to {span[1].isoformat()} "
            f"in {where}"
            if span is not None
            else f"nothing is stored yet for it ({where})"
        )
        return FetchError(
            f"fetch {self.exchange_id} {self.symbol} {self.timeframe} stopped after "
            f"{self.calls} call(s) ({retries} retr{'y' if retries == 1 else 'ies'} of the "
            f"last one): {type(err).__name__}: {err}. Saved {self.added} new row(s) this "
            f"run; {held}. Re-run the same fetch to resume after the last stored bar."
        )


def _page(
    rows: list[list[Any]], cursor: int, end: int | None, now_ms: int, step: int, state: _Session
) -> pd.DataFrame:
    """The new, closed, de-duplicated bars of one response as a canonical frame."""
    if not rows:
        return pd.DataFrame()
    try:
        table = np.array(
            [[np.nan if v is None else float(v) for v in row[:6]] for row in rows], dtype=np.float64
        )
    except (TypeError, ValueError) as err:
        raise FetchError(f"fetch: the exchange returned a malformed OHLCV row: {err}") from err
    if table.ndim != 2 or table.shape[1] != 6:
        raise FetchError(
            f"fetch: expected rows of [ms, open, high, low, close, volume], got {rows[0]!r}"
        )
    stamps = table[:, 0].astype(np.int64)
    keep = stamps >= cursor
    if end is not None:
        keep &= stamps < end
    still_open = keep & (stamps + step > now_ms)
    if still_open.any():
        state.dropped_open_bar = True
    keep &= ~still_open
    table, stamps = table[keep], stamps[keep]
    order = np.argsort(stamps, kind="stable")
    table, stamps = table[order], stamps[order]
    first = np.ones(len(stamps), dtype=bool)
    first[1:] = stamps[1:] != stamps[:-1]
    table, stamps = table[first], stamps[first]
    index = as_utc_index(pd.to_datetime(stamps, unit="ms", utc=True))
    return pd.DataFrame(table[:, 1:], index=index, columns=list(COLUMNS))


def _to_ms(value: TimeLike, what: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"fetch: {what}={value!r} is not a time")
    if isinstance(value, int | float | np.integer | np.floating):
        return int(value)
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"fetch: {what}={value!r} is not a time (use ISO 8601, a datetime or unix ms)"
        ) from err
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


def _iso(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").isoformat()
