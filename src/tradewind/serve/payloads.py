"""Request bytes → validated bodies and canonical candles, with 422s that name the field.

Bodies are validated by pydantic-core straight from the JSON bytes (no ``json.loads``
into Python objects first, no model instance per candle): this and the columnar candle
form are most of what made ``/v1/signal`` fast. Errors keep FastAPI's shape, a list of
``{"loc": ["body", ...], "msg", "type"}``; the location names the candle row and field,
``["body", "candles", 17, "close"]`` for rows and ``["body", "candles", "close", 17]``
for columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from tradewind.features.cross_spec import CrossSpec
from tradewind.serve.inference import InputError, Loc
from tradewind.serve.schemas import CandleColumns, CandleIn

__all__ = ["candle_arrays", "candles_frame", "read_body", "reference_frames"]

M = TypeVar("M", bound=BaseModel)

CANDLES: Loc = ("body", "candles")
_FORMS = ("rows", "columns")  # union tags pydantic puts into a location; not part of the JSON
# Built once, object dtype: pandas builds arrow string indexes slowly and looks labels up
# in them slowly, and every check and feature below reads these columns by name.
_COLUMNS = pd.Index(["open", "high", "low", "close", "volume"], dtype=object)


def _clean(error: Any) -> dict[str, Any]:
    """One pydantic error as FastAPI's JSON detail item, the union tag dropped from ``loc``.

    The offending input is left out on purpose: it may be NaN, which JSON cannot carry.
    """
    loc = list(error.get("loc", ()))
    if len(loc) > 1 and loc[0] == "candles" and loc[1] in _FORMS:
        del loc[1]
    elif len(loc) > 2 and loc[0] == "references" and loc[2] in _FORMS:
        del loc[2]
    return {"loc": ["body", *loc], "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "value_error"))}


def read_body(model: type[M], raw: bytes) -> M:
    """Validate the JSON bytes of a request body as ``model``.

    Raises :class:`RequestValidationError` (answered 422) naming each bad field; a body
    that is not JSON at all gets ``loc ["body"]`` and type ``json_invalid``. ``NaN`` and
    ``Infinity`` parse, so a non-finite price is refused by name like any other bad value.
    """
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        raise RequestValidationError([_clean(e) for e in err.errors()]) from None


_EARLIEST, _LATEST = datetime(1677, 9, 23, tzinfo=UTC), datetime(2262, 4, 10, tzinfo=UTC)
"""Open times int64 nanoseconds can hold (pandas' range), with a day to spare."""


def _epoch_ns(stamps: Sequence[datetime], columnar: bool, where: Loc = CANDLES) -> np.ndarray:
    """int64 nanoseconds since the epoch (UTC); naive datetimes are taken as UTC.

    ``datetime.timestamp`` is exact to the microsecond here (pydantic datetimes carry no
    finer digits; float64 holds any microsecond count before year 2255 exactly). A time
    outside 1677-09-23 … 2262-04-10 is an :class:`InputError` at its row, not an overflow.
    """
    seconds = np.fromiter(
        ((t if t.tzinfo is not None else t.replace(tzinfo=UTC)).timestamp() for t in stamps),
        dtype=np.float64, count=len(stamps))
    outside = (seconds < _EARLIEST.timestamp()) | (seconds > _LATEST.timestamp())
    if outside.any():
        row = int(np.argmax(outside))
        raise InputError(candle_loc(row, "timestamp", columnar, where),
                         f"{stamps[row].isoformat()} is outside {_EARLIEST.date()} … "
                         f"{_LATEST.date()}; send each bar's open time")
    return np.rint(seconds * 1e6).astype(np.int64) * 1000


def candle_arrays(candles: list[CandleIn] | CandleColumns, where: Loc = CANDLES
                  ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Open times (int64 ns, UTC) [N], OHLCV (float64) [N, 5] and whether columns were sent.

    ``where``: the JSON location of these candles (a reference's: ``body.references.NAME``).
    """
    if isinstance(candles, CandleColumns):
        values = np.array([candles.open, candles.high, candles.low, candles.close,
                           candles.volume], dtype=np.float64).T
        return _epoch_ns(candles.timestamp, True, where), values, True
    values = np.array([(c["open"], c["high"], c["low"], c["close"], c["volume"]) for c in candles],
                      dtype=np.float64).reshape(len(candles), 5)
    return _epoch_ns([c["timestamp"] for c in candles], False, where), values, False


def candle_loc(row: int, field: str, columnar: bool, where: Loc = CANDLES) -> Loc:
    """JSON location of one candle value in either form (``where``: the candles' own)."""
    return (*where, field, row) if columnar else (*where, row, field)


def candles_frame(stamps_ns: np.ndarray, values: np.ndarray, *, columnar: bool = False,
                  where: Loc = CANDLES) -> pd.DataFrame:
    """Canonical candles from open times (int64 ns, UTC) and [N, 5] OHLCV values.

    Raises :class:`InputError` at the first timestamp that is not strictly after the one
    before it (unsorted or duplicate).
    """
    steps = np.diff(stamps_ns)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 1
        kind = "duplicates" if steps[row - 1] == 0 else "is earlier than"
        now, before = (pd.Timestamp(int(stamps_ns[i]), tz="UTC") for i in (row, row - 1))
        raise InputError(candle_loc(row, "timestamp", columnar, where),
                         f"{now} {kind} the previous candle's {before}; candles must be in "
                         "ascending bar-open-time order without duplicates")
    index = pd.DatetimeIndex(stamps_ns.view("datetime64[ns]"), name="timestamp").tz_localize("UTC")
    return pd.DataFrame(values, index=index, columns=_COLUMNS, dtype=np.float64)


def reference_frames(
    given: Mapping[str, list[CandleIn] | CandleColumns] | None, cross: Sequence[CrossSpec],
    *, max_candles: int,
) -> dict[str, pd.DataFrame] | None:
    """Canonical candles of each ``features.cross`` reference a request sends, by name.

    None for a bundle without references. A bundle with references needs the candles of
    each, and only those (the error names each missing one and the source it was trained
    on); a bundle without any refuses ``references`` rather than ignoring them, so a
    client that believes it feeds a cross-asset model learns that it does not.
    """
    loc: Loc = ("body", "references")
    if not cross:
        if given is not None:
            raise InputError(loc, "this bundle has no cross-asset features (features.cross); "
                                  "leave 'references' out")
        return None
    known = [spec.name for spec in cross]
    missing = [f"{spec.name!r} (trained on {spec.source})" for spec in cross
               if spec.name not in (given or {})]
    extra = sorted(name for name in (given or {}) if name not in known)
    if missing or extra:
        raise InputError(loc, "this bundle's features.cross references are "
                              f"{', '.join(map(repr, known))}: send each one's candles as "
                              "references: {NAME: candles}"
                              + (f"; missing {', '.join(missing)}" if missing else "")
                              + (f"; unexpected {extra}" if extra else ""))
    frames: dict[str, pd.DataFrame] = {}
    for name in known:
        where: Loc = (*loc, name)
        stamps, values, columnar = candle_arrays(given[name], where)  # type: ignore[index]
        if len(stamps) > max_candles:
            raise InputError(where, f"{len(stamps)} candles exceed the limit of {max_candles} "
                                    "per reference")
        if len(stamps) == 0:
            raise InputError(where, "no candles; send the reference's bars covering the candles'")
        frames[name] = candles_frame(stamps, values, columnar=columnar, where=where)
    return frames
