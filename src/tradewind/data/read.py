"""Read candle files (CSV, Parquet, Feather) into the canonical frame, judging nothing.

The reader is tolerant about *shape* (column case, the name of the time column, unix
seconds / milliseconds / ISO strings, a datetime index) and strict about *content it
cannot represent*: a missing column, text in a numeric column or an unparseable
timestamp is a DataError naming the file, the column, the row and the value. Row
order is kept exactly as in the file: unsorted or duplicated timestamps are findings
for ``validate``, never silently repaired here.
"""

from __future__ import annotations

import csv
import gzip
import re
import warnings
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
)

from tradewind.data.canonical import COLUMNS
from tradewind.exceptions import ConfigError, DataError

__all__ = ["read_candles"]

_TIME_NAMES = ("timestamp", "datetime", "date", "time", "open_time", "opentime", "open time")
_INDEX_NAMES = ("", "index", "unnamed: 0", "level_0")
_MISSING_TEXT = frozenset({"", "nan", "na", "n/a", "null", "none"})
_CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".tsv")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FEATHER_SUFFIXES = (".feather", ".arrow")


def read_candles(path: str | Path, *, tz: str = "UTC") -> pd.DataFrame:
    """Read a CSV / Parquet / Feather file of OHLCV bars into the canonical frame.

    Parameters
    ----------
    path:
        ``.csv`` (also ``.csv.gz``, ``.txt``, ``.tsv``; the separator is sniffed),
        ``.parquet``/``.pq`` or ``.feather``.
    tz:
        Zone of timezone-*naive* timestamps in the file (default UTC). They are
        converted to UTC and ``df.attrs["naive_timezone"]`` is set, so that
        ``validate`` reports the assumption as a warning. A file that mixes naive
        strings with strings carrying an offset is refused, naming the first row of
        each kind (``tz`` cannot say which rows it was meant for). Unix numbers and strings
        with an offset are unambiguous and need no assumption. Strings that are not
        ISO 8601 go through pandas' format inference, which reads ``01/02/2024`` as
        2 January (month first): prefer ISO 8601.

    Returns
    -------
    DataFrame
        Index ``timestamp`` (UTC, bar open time) in **file order**; float64 columns
        ``open, high, low, close, volume``; other columns are dropped (listed in
        ``attrs["dropped_columns"]``). ``attrs["source"]`` is the path.

    Raises
    ------
    DataError
        Missing file or column, text in a numeric column, unparseable timestamp; the
        message names the file, column, row and value.
    """
    path = Path(path)
    source = str(path)
    _check_zone(tz)
    if path.is_dir():
        raise DataError(f"{source}: is a directory, not a candle file. Fix: name a CSV or "
                        "Parquet file inside it")
    if not path.is_file():
        raise DataError(f"{source}: file not found. Fix: check the path (cwd is {Path.cwd()})")
    kind = _file_kind(path)
    raw = _read_raw(path, kind)
    return _to_canonical(raw, source=source, tz=tz, csv=kind == "csv")


def _check_zone(tz: str) -> None:
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception as err:  # pandas raises several types for a bad zone name
        raise ConfigError(
            f"tz={tz!r} is not a known time zone: use an IANA name such as 'UTC' or "
            "'America/New_York'"
        ) from err


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(_FEATHER_SUFFIXES):
        return "feather"
    raise DataError(
        f"{path}: unsupported file type; use one of "
        f"{', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES + _FEATHER_SUFFIXES)}"
    )


def _open_text(path: Path) -> TextIO:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="")


def _sniff_separator(path: Path) -> str:
    with _open_text(path) as fh:
        first = fh.readline()
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _too_many_fields(path: Path, sep: str) -> DataError:
    """The error for data rows with more fields than the header (the first one named)."""
    with _open_text(path) as fh:
        rows = csv.reader(fh, delimiter=sep, skipinitialspace=True)
        width = len(next(rows, []))
        for line, row in enumerate(rows, start=2):
            if len(row) > width:
                return DataError(
                    f"{path}: data row {line - 1} (file line {line}) has {len(row)} fields but "
                    f"the header names {width} columns. Fix: remove the extra fields (a stray "
                    f"{sep!r} or an unquoted thousands separator?) or name every column"
                )
    return DataError(f"{path}: some data rows have more fields than the header's columns")


def _read_csv(path: Path) -> pd.DataFrame:
    sep = _sniff_separator(path)
    with warnings.catch_warnings():
        # index_col=False: never take surplus fields for an index; pandas warns instead
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig",
                               skipinitialspace=True, index_col=False)
        except pd.errors.ParserWarning:
            raise _too_many_fields(path, sep) from None


def _read_raw(path: Path, kind: str) -> pd.DataFrame:
    try:
        if kind == "csv":
            return _read_csv(path)
        frame = pd.read_parquet(path) if kind == "parquet" else pd.read_feather(path)
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path}: the file is empty (no header, no rows)") from err
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{path}: cannot be read as {kind}: {err}") from err
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    return frame


def _row(i: int, csv: bool) -> str:
    return f"data row {i + 1} (file line {i + 2})" if csv else f"row {i + 1}"


def _to_canonical(raw: pd.DataFrame, *, source: str, tz: str, csv: bool) -> pd.DataFrame:
    by_key: dict[str, list[object]] = {}
    for col in raw.columns:
        by_key.setdefault(str(col).strip().lower(), []).append(col)
    for key in COLUMNS:
        if len(by_key.get(key, [])) > 1:
            raise DataError(
                f"{source}: column {key!r} appears {len(by_key[key])} times "
                f"({by_key[key]}); keep exactly one"
            )
    time_values, time_columns = _time_column(raw, by_key)
    missing = [c for c in COLUMNS if c not in by_key]
    if time_values is None:
        missing.append("timestamp (or date/datetime/time, or a datetime index)")
    if missing:
        found = [str(c) for c in raw.columns]
        hint = ""
        if found and all(_looks_numeric(c) for c in found):
            hint = " The header looks like data: the file may have no header row; add one."
        raise DataError(
            f"{source}: missing column(s) {missing}; found {found}. Fix: name the columns "
            f"open, high, low, close, volume (any case) plus a time column.{hint}"
        )
    index, naive = _parse_times(time_values, source=source, tz=tz, csv=csv)
    data = {c: _numeric(raw[by_key[c][0]], c, source=source, csv=csv) for c in COLUMNS}
    frame = pd.DataFrame(data, index=index)
    used = {by_key[c][0] for c in COLUMNS} | set(time_columns)
    frame.attrs["source"] = source
    frame.attrs["naive_timezone"] = naive
    frame.attrs["naive_tz"] = tz if naive else None
    frame.attrs["dropped_columns"] = [str(c) for c in raw.columns if c not in used]
    return frame


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _time_column(
    raw: pd.DataFrame, by_key: dict[str, list[object]]
) -> tuple[pd.Series | None, list[object]]:
    """The column of bar open times (and the raw columns it came from)."""
    if "date" in by_key and "time" in by_key and not ({"timestamp", "datetime"} & by_key.keys()):
        date_col, clock_col = by_key["date"][0], by_key["time"][0]
        date, clock = raw[date_col], raw[clock_col]
        if not is_numeric_dtype(date) and not is_numeric_dtype(clock):  # "2023-03-01", "09:00"
            combined = date.astype(str).str.strip() + " " + clock.astype(str).str.strip()
            return combined.rename(date_col), [date_col, clock_col]
    for key in _TIME_NAMES:
        if key in by_key:
            return raw[by_key[key][0]], [by_key[key][0]]
    datetime_cols = [c for c in raw.columns if is_datetime64_any_dtype(raw[c])]
    if len(datetime_cols) == 1:
        return raw[datetime_cols[0]], datetime_cols
    for key in _INDEX_NAMES:
        if key in by_key:
            return raw[by_key[key][0]], [by_key[key][0]]
    return None, []


def _numeric(series: pd.Series, column: str, *, source: str, csv: bool) -> np.ndarray:
    if is_bool_dtype(series):
        raise DataError(f"{source}: column {column!r} holds booleans, not numbers")
    if is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    values = pd.to_numeric(series, errors="coerce")
    text = series.astype(str).str.strip()
    bad = values.isna() & series.notna() & ~text.str.lower().isin(_MISSING_TEXT)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{source}: column {column!r} has text {series.iloc[i]!r} at {_row(i, csv)} "
            f"({int(bad.sum())} such value(s) in that column). Fix: every price and volume "
            "must be a number (no thousands separators or units); correct or remove the row"
        )
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _parse_times(
    values: pd.Series, *, source: str, tz: str, csv: bool
) -> tuple[pd.DatetimeIndex, bool]:
    if is_datetime64_any_dtype(values):
        parsed = pd.Series(pd.DatetimeIndex(values))
        _raise_unparsed(values, parsed, source=source, csv=csv)
    elif is_numeric_dtype(values) and not is_bool_dtype(values):
        parsed = _from_numbers(values, values, source=source, csv=csv)
    else:
        numbers = pd.to_numeric(values, errors="coerce")
        if len(values) and numbers.notna().all():
            parsed = _from_numbers(numbers, values, source=source, csv=csv)
        else:
            # Mostly unix numbers: the cells that are not numbers are the bad ones.
            mostly_numbers = len(values) > 0 and numbers.notna().mean() > 0.5
            parsed = numbers if mostly_numbers else _from_text(values, source=source, csv=csv)
            _raise_unparsed(values, parsed, source=source, csv=csv)
    index = pd.DatetimeIndex(parsed)
    _raise_out_of_range(index, values, source=source, csv=csv)
    naive = index.tz is None
    if naive:
        try:
            index = index.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        except ValueError as err:
            raise DataError(
                f"{source}: naive timestamps cannot be placed in tz={tz!r} ({err}); a wall "
                "clock repeats or skips an hour at a DST change. Fix: write the file in UTC "
                "or with UTC offsets"
            ) from err
    index = index.tz_convert("UTC").as_unit("ns").rename("timestamp")
    return index, naive


_OFFSET = re.compile(r"(?:[zZ]|(?:UTC|GMT)?[+-]\d{2}(?::?\d{2})?)$")


def _refuse_mixed_zones(values: pd.Series, *, source: str, csv: bool) -> None:
    """Refuse text timestamps of which some carry a UTC offset and others do not.

    Read together, the naive ones would silently be taken in ``tz`` and the others at
    their offset; a file written that way has usually been appended from two sources.
    """
    text = values.astype(str).str.strip()
    has_date = text.str.contains(r"\d{4}-\d{2}-\d{2}[T ]\d", regex=True)
    aware = (text.str.contains(_OFFSET, regex=True) & has_date).to_numpy()
    naive = (has_date.to_numpy()) & ~aware
    if aware.any() and naive.any():
        i, j = int(np.argmax(naive)), int(np.argmax(aware))
        raise DataError(
            f"{source}: timestamps mix local times without an offset ({int(naive.sum())} rows, "
            f"first {values.iloc[i]!r} at {_row(i, csv)}) with times carrying a UTC offset "
            f"({int(aware.sum())} rows, first {values.iloc[j]!r} at {_row(j, csv)}). Fix: "
            "write every timestamp the same way, all in UTC or all with their offset"
        )


def _from_text(values: pd.Series, *, source: str, csv: bool) -> pd.Series:
    def attempt(fmt: str | None) -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
            try:
                return pd.to_datetime(values, format=fmt, errors="coerce")
            except ValueError:  # mixed UTC offsets (DST): compare as instants
                _refuse_mixed_zones(values, source=source, csv=csv)
                return pd.to_datetime(values, format=fmt, errors="coerce", utc=True)

    parsed = attempt("ISO8601")
    if parsed.isna().any():
        other = attempt(None)
        if other.isna().sum() < parsed.isna().sum():
            parsed = other
    return parsed


def _raise_unparsed(values: pd.Series, parsed: pd.Series, *, source: str, csv: bool) -> None:
    bad = pd.Series(parsed).isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: timestamp {values.iloc[i]!r} at {_row(i, csv)} cannot be parsed "
            f"({int(bad.sum())} such row(s)). Fix: use ISO 8601 ('2023-03-01 00:00:00', "
            "optionally with +00:00) or unix seconds/milliseconds, and no empty cells"
        )


_EARLIEST, _LATEST = pd.Timestamp("1677-09-23"), pd.Timestamp("2262-04-10")
"""Open times representable as nanoseconds (pandas' range) with a day to spare for zones."""


def _raise_out_of_range(
    index: pd.DatetimeIndex, values: pd.Series, *, source: str, csv: bool
) -> None:
    wall = index.tz_convert(None) if index.tz is not None else index
    bad = np.asarray((wall < _EARLIEST) | (wall > _LATEST))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: timestamp {values.iloc[i]!r} at {_row(i, csv)} is {wall[i]}, outside "
            f"{_EARLIEST.date()} … {_LATEST.date()} ({int(bad.sum())} such row(s)). Fix: "
            "write real bar open times (ISO 8601 or unix seconds/milliseconds)"
        )


def _from_numbers(numbers: pd.Series, raw: pd.Series, *, source: str, csv: bool) -> pd.Series:
    array = numbers.to_numpy()
    finite = np.isfinite(array.astype(np.float64))
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise DataError(
            f"{source}: timestamp {raw.iloc[i]!r} at {_row(i, csv)} is missing or not finite. "
            "Fix: every bar needs its open time"
        )
    as_float = array.astype(np.float64)
    if (
        np.all(as_float == np.round(as_float))
        and as_float.min() >= 19000101
        and as_float.max() <= 21001231
    ):
        stamped = pd.to_datetime(
            pd.Series(as_float.astype(np.int64)).astype(str), format="%Y%m%d", errors="coerce"
        )
        if stamped.notna().all():  # YYYYMMDD dates, not 1970 unix seconds
            return stamped
    magnitude = np.abs(as_float)
    units = np.select(
        [magnitude < 1e11, magnitude < 1e14, magnitude < 1e17], ["s", "ms", "us"], "ns"
    )
    kinds, counts = np.unique(units, return_counts=True)
    unit = str(kinds[np.argmax(counts)])
    if len(kinds) > 1:
        i = int(np.flatnonzero(units != unit)[0])
        names = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
        raise DataError(
            f"{source}: timestamp {raw.iloc[i]!r} at {_row(i, csv)} looks like unix "
            f"{names[str(units[i])]} while most rows are unix {names[unit]}. Fix: write every "
            "timestamp in one unit"
        )
    seconds = as_float / {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[unit]
    outside = (seconds < _EARLIEST.timestamp()) | (seconds > _LATEST.timestamp())
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"{source}: timestamp {raw.iloc[i]!r} at {_row(i, csv)} is outside "
            f"{_EARLIEST.date()} … {_LATEST.date()} as unix {unit} ({int(outside.sum())} such "
            "row(s)). Fix: write real bar open times (ISO 8601 or unix seconds/milliseconds)"
        )
    exact = array.astype(np.int64) if np.issubdtype(array.dtype, np.integer) else as_float
    return pd.Series(pd.to_datetime(exact, unit=unit, utc=True))
