"""A stand-in for a ccxt exchange that honours ``fetch_ohlcv``'s contract, offline.

``fetch_ohlcv(symbol, timeframe, since=ms, limit=n)`` returns at most ``n`` rows
``[ms, open, high, low, close, volume]`` with ``ms >= since``, ascending, like ccxt.
Options reproduce what real exchanges do to a downloader:

- ``page_size``: the exchange caps pages below ``limit`` (partial pages although more
  rows exist);
- ``overlap``: each page also repeats the ``overlap`` rows just before ``since``
  (duplicates across pages);
- ``fail_at``: ``{call_number: exception}`` raised at that (1-based) call; with
  ``keep_failing`` every later call raises it too (a persistent outage).

Every call is recorded in ``calls`` as ``(since, limit)``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence


def make_rows(
    start_ms: int, count: int, step_ms: int, *, price: float = 100.0
) -> list[list[float]]:
    """``count`` valid OHLCV rows every ``step_ms`` from ``start_ms`` (a gentle zig-zag)."""
    rows: list[list[float]] = []
    close = price
    for i in range(count):
        open_ = close
        close = open_ * (1.001 if i % 3 else 0.998)
        rows.append(
            [
                start_ms + i * step_ms,
                open_,
                max(open_, close) * 1.0005,
                min(open_, close) * 0.9995,
                close,
                10.0 + i,
            ]
        )
    return rows


class FakeExchange:
    """Offline exchange with ccxt's ``fetch_ohlcv`` semantics (see the module docstring)."""

    def __init__(
        self,
        rows: Iterable[Sequence[float]],
        *,
        exchange_id: str = "fake",
        rate_limit: int = 250,
        enable_rate_limit: bool = False,
        page_size: int | None = None,
        overlap: int = 0,
        fail_at: dict[int, Exception] | None = None,
        keep_failing: bool = False,
    ) -> None:
        self.id = exchange_id
        self.rateLimit = rate_limit
        self.enableRateLimit = enable_rate_limit
        self.rows = sorted((list(r) for r in rows), key=lambda r: r[0])
        self.page_size = page_size
        self.overlap = overlap
        self.fail_at = dict(fail_at or {})
        self.keep_failing = keep_failing
        self.calls: list[tuple[int | None, int | None]] = []
        self._failing: Exception | None = None

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, object] | None = None,
    ) -> list[list[float]]:
        self.calls.append((since, limit))
        if self._failing is not None:
            raise self._failing
        error = self.fail_at.get(len(self.calls))
        if error is not None:
            if self.keep_failing:
                self._failing = error
            raise error
        stamps = [r[0] for r in self.rows]
        start = 0 if since is None else bisect.bisect_left(stamps, since)
        start = max(0, start - self.overlap)
        cap = limit if limit is not None else 500
        if self.page_size is not None:
            cap = min(cap, self.page_size)  # the repeated rows count against the cap
        return [list(r) for r in self.rows[start : start + cap]]
