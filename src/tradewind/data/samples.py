"""Real candles that ship with the PyPI ``backtesting`` package, by a short name.

``sample:eurusd-1h`` is ``backtesting.test.EURUSD`` (hourly EUR/USD FX, April 2017 to
February 2018, 5,000 bars; weekends are gaps) and ``sample:goog-1d`` is
``backtesting.test.GOOG`` (daily NASDAQ:GOOG, 2004 to 2013, 2,148 bars; weekends and
holidays are gaps). Both files have timezone-naive timestamps: they are read as UTC
and ``validate`` reports that assumption. The CSV files are read directly (the
``backtesting`` package itself is not imported).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tradewind.data.read import read_candles
from tradewind.exceptions import ConfigError, DataError

__all__ = ["list_samples", "load_sample", "sample_timeframe"]


@dataclass(frozen=True)
class _Sample:
    file: str
    timeframe: str
    description: str


_SAMPLES: dict[str, _Sample] = {
    "eurusd-1h": _Sample("EURUSD.csv", "1h", "EUR/USD hourly FX, 2017-04 to 2018-02 (5,000 bars)"),
    "goog-1d": _Sample("GOOG.csv", "1d", "GOOG daily stock, 2004-08 to 2013-03 (2,148 bars)"),
}


def list_samples() -> list[str]:
    """Names accepted by ``load("sample:NAME")``, sorted."""
    return sorted(_SAMPLES)


def _get(name: str) -> _Sample:
    try:
        return _SAMPLES[name]
    except KeyError:
        raise ConfigError(
            f"unknown sample {name!r}: valid samples are {', '.join(list_samples())} "
            "(use them as source 'sample:NAME')"
        ) from None


def sample_timeframe(name: str) -> str:
    """The bar length of a sample ("1h" for ``eurusd-1h``)."""
    return _get(name).timeframe


def load_sample(name: str) -> pd.DataFrame:
    """Read one sample into the canonical frame (not validated; ``load`` validates).

    Raises ConfigError for an unknown name and DataError when ``backtesting`` is not
    installed.
    """
    sample = _get(name)
    spec = importlib.util.find_spec("backtesting")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"sample {name!r} needs the 'backtesting' package: pip install backtesting")
    path = Path(next(iter(spec.submodule_search_locations))) / "test" / sample.file
    frame = read_candles(path, tz="UTC")
    frame.attrs["source"] = f"sample:{name}"
    frame.attrs["description"] = sample.description
    return frame
