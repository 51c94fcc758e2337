"""``load``: resolve a source, read it, validate it, refuse bad data, slice it.

Sources:

- a file path (CSV / Parquet / Feather, see ``read_candles``);
- ``sample:NAME`` (``list_samples()``: real candles shipped with ``backtesting``);
- ``synthetic:KIND?key=value&...`` (see ``tradewind.data.synthetic``);
- ``store:EXCHANGE/BASE-QUOTE/TIMEFRAME`` (a ``Store`` under ``store_root``, else the
  ``TRADEWIND_STORE`` environment variable, else ``./data-store``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from tradewind.data.gaps import GapMode, fill_gaps
from tradewind.data.read import read_candles
from tradewind.data.samples import list_samples, load_sample, sample_timeframe
from tradewind.data.store import Store
from tradewind.data.synthetic import parse_synthetic_source
from tradewind.data.validate import validate
from tradewind.exceptions import ConfigError, DataError
from tradewind.timeframes import timeframe_seconds

__all__ = ["SCHEMES", "DataPolicy", "default_store_root", "load", "read_source"]

SCHEMES: tuple[str, ...] = ("sample", "synthetic", "store")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_+.-]+):(.*)$", re.DOTALL)
Bound = str | dt.datetime | pd.Timestamp | None


class DataPolicy(BaseModel):
    """What ``load`` does with soft findings: ``allow`` reports them, ``error`` refuses.

    ``gaps: fill`` inserts the missing bars as flat bars (previous close, zero volume).
    Hard findings (unsorted, duplicates, NaN, OHLC violations, ...) always refuse. The
    bundle records the policy, and ``serve`` and ``live`` apply its ``gaps`` to the
    windows they are given.
    """

    model_config = ConfigDict(extra="forbid")

    gaps: GapMode = "allow"
    zero_volume: Literal["allow", "error"] = "allow"


def default_store_root(store_root: str | Path | None = None) -> Path:
    """``store_root``, else ``$TRADEWIND_STORE``, else ``./data-store``."""
    if store_root is not None:
        return Path(store_root)
    return Path(os.environ.get("TRADEWIND_STORE") or "data-store")


def load(
    source: str | Path,
    *,
    timeframe: str | None = None,
    tz: str = "UTC",
    policy: DataPolicy | None = None,
    store_root: Path | None = None,
    start: Bound = None,
    end: Bound = None,
) -> pd.DataFrame:
    """Validated canonical candles from ``source``, sliced to ``[start, end]``.

    Parameters
    ----------
    source:
        Path, ``sample:NAME``, ``synthetic:KIND?...`` or ``store:EX/BASE-QUOTE/TF``.
    timeframe:
        Declared bar length; inferred when None. Samples, synthetic markets and store
        series have their own, and a different declared one is a ConfigError
        (use ``resample`` to change the bar length).
    tz:
        Zone of timezone-naive timestamps in a file (see ``read_candles``).
    policy:
        Which soft findings refuse the data (default: none).
    start, end:
        Inclusive bounds on bar open time; strings use pandas' partial-string rules
        (``end="2023-03-10"`` includes that whole day); naive values are UTC.
        Validation covers the whole source, not only the slice.

    Returns
    -------
    DataFrame
        Canonical frame with ``attrs["validation"]`` (list of finding dicts),
        ``attrs["timeframe"]`` and ``attrs["source"]``.

    Raises
    ------
    ConfigError
        Unknown scheme, sample or synthetic key; conflicting timeframe.
    DataError
        A hard finding (or a soft one the policy refuses); an empty slice.
    """
    policy = policy or DataPolicy()
    frame = read_source(source, timeframe=timeframe, tz=tz, store_root=store_root)
    label = frame.attrs["source"]
    report = validate(frame, timeframe=timeframe or frame.attrs.get("timeframe"))
    refused = {rule for rule, mode in policy.model_dump().items() if mode == "error"}
    report.raise_for_errors(label, also=refused)
    if policy.gaps == "fill" and report.timeframe:
        frame, _ = fill_gaps(frame, timeframe_seconds(report.timeframe))
    out = _slice(frame, start, end, label)
    out.attrs.update(
        source=label,
        timeframe=report.timeframe,
        validation=report.to_dicts(),
    )
    return out


def read_source(
    source: str | Path,
    *,
    timeframe: str | None = None,
    tz: str = "UTC",
    store_root: Path | None = None,
) -> pd.DataFrame:
    """Resolve and read ``source`` into the canonical frame, **without** validating it.

    For tools that report on bad data instead of refusing it (``tradewind data
    validate``); everything else should call ``load``. ``attrs["source"]`` names the
    source and ``attrs["timeframe"]`` holds the source's own timeframe (samples,
    synthetic markets, store series) or None for files.
    """
    frame, own_timeframe, label = _resolve(
        source, timeframe=timeframe, tz=tz, store_root=store_root
    )
    if (
        timeframe is not None
        and own_timeframe is not None
        and timeframe_seconds(timeframe) != timeframe_seconds(own_timeframe)
    ):
        raise ConfigError(
            f"{label}: timeframe {timeframe!r} was requested but the source is "
            f"{own_timeframe}. Fix: drop the timeframe, or load it and call "
            f"resample(df, {timeframe!r})"
        )
    frame.attrs["source"] = label
    frame.attrs["timeframe"] = own_timeframe
    return frame


def _resolve(
    source: str | Path, *, timeframe: str | None, tz: str, store_root: Path | None
) -> tuple[pd.DataFrame, str | None, str]:
    if isinstance(source, Path):
        return read_candles(source, tz=tz), None, str(source)
    text = str(source).strip()
    match = _SCHEME.match(text)
    if match is None or (match.group(1) not in SCHEMES and Path(text).exists()):
        return read_candles(text, tz=tz), None, text
    scheme, rest = match.group(1), match.group(2)
    if scheme == "sample":
        return load_sample(rest), sample_timeframe(rest), text
    if scheme == "synthetic":
        if timeframe is not None and "timeframe=" not in rest:
            rest += ("&" if "?" in rest else "?") + f"timeframe={timeframe}"
        market = parse_synthetic_source(f"synthetic:{rest}")
        return market.candles, market.spec.timeframe, text
    if scheme == "store":
        parts = rest.strip("/").split("/")
        if len(parts) != 3 or not all(parts):
            raise ConfigError(
                f"{text!r}: a store source is 'store:EXCHANGE/BASE-QUOTE/TIMEFRAME', "
                "e.g. 'store:binance/BTC-USDT/1m'"
            )
        exchange, symbol, tf = parts
        store = Store(default_store_root(store_root))
        return store.read(exchange, symbol, tf), tf, text
    raise ConfigError(
        f"{text!r}: unknown source scheme {scheme!r}. Valid sources: a file path, "
        f"'sample:NAME' ({', '.join(list_samples())}), 'synthetic:KIND?key=value' "
        "(random_walk, planted), 'store:EXCHANGE/BASE-QUOTE/TIMEFRAME'"
    )


def _bound(value: Bound, what: str) -> str | pd.Timestamp | None:
    if value is None or isinstance(value, str):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{what}={value!r} is not a time") from err
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _slice(frame: pd.DataFrame, start: Bound, end: Bound, label: str) -> pd.DataFrame:
    lo, hi = _bound(start, "start"), _bound(end, "end")
    if lo is None and hi is None:
        return frame
    try:
        out = frame.loc[lo:hi]
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigError(
            f"{label}: start={start!r} / end={end!r} cannot slice the data: {err}"
        ) from err
    if out.empty:
        raise DataError(
            f"{label}: no bars between start={start!r} and end={end!r}; the data covers "
            f"{frame.index[0].isoformat()} to {frame.index[-1].isoformat()}"
        )
    return out
