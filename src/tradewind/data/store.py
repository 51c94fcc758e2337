"""A folder of Parquet candle files, one per (exchange, symbol, timeframe).

Layout: ``<root>/<exchange>/<SYMBOL with "/" and ":" as "-">/<timeframe>.parquet``
(``binance/BTC-USDT/1m.parquet``). Each file holds a ``timestamp`` column (UTC bar
open time, ascending, unique) and float64 ``open, high, low, close, volume``, the
same schema as ``shared/data``; the Parquet metadata key ``tradewind`` records the
exchange, symbol and timeframe.

Every write is atomic: the new file is written to a temporary file in the same
folder, flushed to disk and moved over the old one with ``os.replace``, so a crash
or an error mid-write leaves the previous file intact and no temporary file behind.
One writer per file at a time is assumed (no locking).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tradewind.data.atomic import write_parquet_atomic
from tradewind.data.canonical import COLUMNS, check_canonical
from tradewind.data.read import read_candles
from tradewind.data.validate import validate
from tradewind.exceptions import ConfigError, DataError
from tradewind.timeframes import infer_timeframe, timeframe_seconds

__all__ = ["Store", "StoreEntry", "import_file", "symbol_dirname"]

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_META_KEY = b"tradewind"


def symbol_dirname(symbol: str) -> str:
    """``"BTC/USDT:USDT"`` -> ``"BTC-USDT-USDT"`` (the folder name of a symbol)."""
    return symbol.replace("/", "-").replace(":", "-")


@dataclass(frozen=True)
class StoreEntry:
    """One stored series (``n_rows``, ``first`` and ``last`` read from the file)."""

    exchange: str
    symbol: str
    timeframe: str
    path: Path
    n_rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


class Store:
    """Candle files under ``root`` (see the module docstring for the layout).

    Examples
    --------
    >>> store = Store("data-store")  # doctest: +SKIP
    >>> store.append(df, "binance", "BTC/USDT", "1m")  # doctest: +SKIP
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def path(self, exchange: str, symbol: str, timeframe: str) -> Path:
        """Where the series lives (whether or not it exists)."""
        timeframe_seconds(timeframe)
        folder = symbol_dirname(symbol)
        for what, value in (("exchange", exchange), ("symbol", folder)):
            if not _SAFE.match(value) or ".." in value:
                raise ConfigError(
                    f"{what} {value!r} cannot name a store folder: use letters, digits, "
                    "'-', '_' and '.' (symbols may also contain '/' and ':')"
                )
        return self.root / exchange / folder / f"{timeframe}.parquet"

    def exists(self, exchange: str, symbol: str, timeframe: str) -> bool:
        """True when the series has a file."""
        return self.path(exchange, symbol, timeframe).is_file()

    def read(self, exchange: str, symbol: str, timeframe: str) -> pd.DataFrame:
        """The stored candles (canonical frame, not validated)."""
        path = self.path(exchange, symbol, timeframe)
        if not path.is_file():
            raise DataError(
                f"{path}: no {exchange} {symbol} {timeframe} candles in the store at {self.root}. "
                "Fix: fetch them (tradewind.data.fetch) or import a file (import_file)"
            )
        frame = read_candles(path)
        frame.attrs["source"] = f"store:{exchange}/{symbol_dirname(symbol)}/{timeframe}"
        frame.attrs["timeframe"] = timeframe
        return frame

    def last_timestamp(self, exchange: str, symbol: str, timeframe: str) -> pd.Timestamp | None:
        """Open time of the last stored bar, or None when nothing is stored."""
        span = self.span(exchange, symbol, timeframe)
        return None if span is None else span[1]

    def span(
        self, exchange: str, symbol: str, timeframe: str
    ) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """(first, last) stored open times, or None when nothing is stored."""
        path = self.path(exchange, symbol, timeframe)
        return _span(path) if path.is_file() else None

    def count(self, exchange: str, symbol: str, timeframe: str) -> int:
        """Number of stored bars (0 when nothing is stored)."""
        path = self.path(exchange, symbol, timeframe)
        return _num_rows(path) if path.is_file() else 0

    def write(self, df: pd.DataFrame, exchange: str, symbol: str, timeframe: str) -> Path:
        """Replace the series with ``df`` (canonical, ascending, unique), atomically."""
        path = self.path(exchange, symbol, timeframe)
        _check_storable(df, f"store {exchange} {symbol} {timeframe}")
        meta = {"exchange": exchange, "symbol": symbol, "timeframe": timeframe}
        return write_parquet_atomic(
            df[list(COLUMNS)].reset_index(), path, index=False, metadata=meta
        )

    def append(
        self,
        df: pd.DataFrame,
        exchange: str,
        symbol: str,
        timeframe: str,
        *,
        overwrite: bool = False,
    ) -> int:
        """Merge ``df`` into the series and return how many new timestamps it added.

        Rows are de-duplicated by timestamp: stored rows win unless ``overwrite`` is
        True (then the rows of ``df`` replace stored rows with the same timestamp).
        The merged series is sorted and written atomically.
        """
        check_canonical(df, f"append to store {exchange} {symbol} {timeframe}")
        incoming = df[~df.index.duplicated(keep="first")]
        path = self.path(exchange, symbol, timeframe)
        old = self.read(exchange, symbol, timeframe) if path.is_file() else None
        if old is None:
            merged = incoming.sort_index()
            added = len(merged)
        else:
            parts = [incoming, old] if overwrite else [old, incoming]
            merged = pd.concat(parts)
            merged = merged[~merged.index.duplicated(keep="first")].sort_index()
            added = len(merged) - len(old)
        if added or overwrite or old is None:
            self.write(merged[list(COLUMNS)], exchange, symbol, timeframe)
        return added

    def entries(self) -> list[StoreEntry]:
        """Every stored series, sorted by exchange, symbol folder and timeframe."""
        out: list[StoreEntry] = []
        if not self.root.is_dir():
            return out
        for path in sorted(self.root.glob("*/*/*.parquet")):
            meta = _metadata(path)
            span = _span(path)
            out.append(
                StoreEntry(
                    exchange=str(meta.get("exchange", path.parent.parent.name)),
                    symbol=str(meta.get("symbol", path.parent.name)),
                    timeframe=str(meta.get("timeframe", path.stem)),
                    path=path,
                    n_rows=_num_rows(path),
                    first=None if span is None else span[0],
                    last=None if span is None else span[1],
                )
            )
        return out


def import_file(
    path: str | Path,
    store: Store,
    exchange: str,
    symbol: str,
    timeframe: str,
    *,
    tz: str = "UTC",
    replace: bool = False,
) -> Path:
    """Validate a CSV/Parquet file and put it in the store; hard findings refuse it.

    The rows are merged into an existing series (stored rows win) unless ``replace``
    is True, which replaces the series with the file. Returns the stored file's path.
    """
    frame = read_candles(path, tz=tz)
    _check_declared_timeframe(frame, timeframe, str(path))
    validate(frame, timeframe=timeframe).raise_for_errors(str(path))
    if replace:
        return store.write(frame, exchange, symbol, timeframe)
    store.append(frame, exchange, symbol, timeframe)
    return store.path(exchange, symbol, timeframe)


def _check_declared_timeframe(frame: pd.DataFrame, timeframe: str, where: str) -> None:
    """Refuse a declared timeframe that is not the most common spacing of the bars.

    A 1-hour file declared as 1m would otherwise be stored as 1-minute bars with 59
    missing bars after each one (gaps are only warnings).
    """
    index = pd.DatetimeIndex(frame.index)
    spacing = infer_timeframe(index.sort_values())
    if spacing is not None and timeframe_seconds(spacing) != timeframe_seconds(timeframe):
        raise DataError(
            f"{where}: declared timeframe {timeframe!r}, but the bars are {spacing} apart (the "
            f"most common spacing of {len(index)} bars). Fix: declare --timeframe {spacing} "
            "(`tradewind data resample` turns short bars into longer ones, never the reverse)"
        )


def _check_storable(df: pd.DataFrame, where: str) -> None:
    check_canonical(df, where)
    if not df.index.is_monotonic_increasing or not df.index.is_unique:
        raise DataError(
            f"{where}: rows must be ascending and unique by timestamp before they are stored. "
            "Fix: use Store.append, which merges and de-duplicates"
        )


def _metadata(path: Path) -> dict[str, object]:
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(_META_KEY)
    return json.loads(raw) if raw else {}


def _num_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def _span(path: Path) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    import pyarrow.parquet as pq

    column = pq.read_table(path, columns=["timestamp"]).column("timestamp").to_pandas()
    if len(column) == 0:
        return None
    stamps = pd.DatetimeIndex(column)
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    values = stamps.as_unit("ns").asi8
    return (
        pd.Timestamp(int(np.min(values)), unit="ns", tz="UTC"),
        pd.Timestamp(int(np.max(values)), unit="ns", tz="UTC"),
    )
