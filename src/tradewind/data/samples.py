"""Real candles shipped inside tradewind (``tradewind/data/sample_candles``), by a short name.

``sample:eurusd-1h`` is hourly EUR/USD FX, April 2017 to February 2018, 5,000 bars
(weekends are gaps) and ``sample:goog-1d`` is daily NASDAQ:GOOG, 2004 to 2013, 2,148 bars
(weekends and holidays are gaps): the test data of backtesting.py, copied unchanged (origin
and checksums in ``sample_candles/README.md``). Both files have timezone-naive
timestamps: they are read as UTC and ``validate`` reports that assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import as_file, files

import pandas as pd

from tradewind.data.read import read_candles
from tradewind.exceptions import ConfigError

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

    Raises ConfigError for an unknown name.
    """
    sample = _get(name)
    with as_file(files("tradewind.data") / "sample_candles" / sample.file) as path:
        frame = read_candles(path, tz="UTC")
    frame.attrs["source"] = f"sample:{name}"
    frame.attrs["description"] = sample.description
    return frame
