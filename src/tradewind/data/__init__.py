"""Candles in, candles out: loading, validation, the store, ccxt fetch, resampling,
real samples and synthetic markets with a known truth.

Every function returns or accepts the canonical frame: a ``DatetimeIndex`` named
``timestamp`` (UTC, bar **open** time, ascending, unique) and float64 columns
``open, high, low, close, volume``. ``load`` is the front door::

    df = load("sample:eurusd-1h")                       # real EUR/USD hourly bars
    df = load("data/btc.csv", timeframe="1m")           # a file, validated
    df = load("synthetic:planted?bars=5000&seed=1")     # a market with a planted edge
    df.attrs["validation"]                              # the findings (warnings) kept

ccxt is imported only inside ``fetch`` / ``make_exchange``.
"""

from tradewind.data.atomic import write_bytes_atomic, write_parquet_atomic, write_text_atomic
from tradewind.data.canonical import COLUMNS
from tradewind.data.fetch import FetchResult, fetch, make_exchange
from tradewind.data.load import SCHEMES, DataPolicy, default_store_root, load, read_source
from tradewind.data.read import read_candles
from tradewind.data.resample import DataInfo, info, resample
from tradewind.data.samples import list_samples
from tradewind.data.store import Store, StoreEntry, import_file
from tradewind.data.synthetic import (
    SyntheticMarket,
    SyntheticSpec,
    parse_synthetic_source,
    synthetic_market,
)
from tradewind.data.validate import HARD_RULES, SOFT_RULES, Finding, ValidationReport, validate

__all__ = [
    "COLUMNS",
    "HARD_RULES",
    "SCHEMES",
    "SOFT_RULES",
    "DataInfo",
    "DataPolicy",
    "FetchResult",
    "Finding",
    "Store",
    "StoreEntry",
    "SyntheticMarket",
    "SyntheticSpec",
    "ValidationReport",
    "default_store_root",
    "fetch",
    "import_file",
    "info",
    "list_samples",
    "load",
    "make_exchange",
    "parse_synthetic_source",
    "read_candles",
    "read_source",
    "resample",
    "synthetic_market",
    "validate",
    "write_bytes_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
]
