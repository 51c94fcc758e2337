"""The public surface of tradewind.data is what was meant, and importing it is light."""

from __future__ import annotations

import subprocess
import sys

import tradewind.data as data

EXPECTED = {
    "COLUMNS", "HARD_RULES", "SCHEMES", "SOFT_RULES", "DataInfo", "DataPolicy", "FetchResult",
    "Finding", "Store", "StoreEntry", "SyntheticMarket", "SyntheticSpec", "ValidationReport",
    "default_store_root", "fetch", "import_file", "info", "list_samples", "load",
    "make_exchange", "parse_synthetic_source", "read_candles", "read_source", "resample",
    "synthetic_market", "validate", "write_bytes_atomic", "write_parquet_atomic", "write_text_atomic",
}  # fmt: skip


def isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def test_data_api_exports_are_sorted_and_complete():
    assert data.__all__ == sorted(data.__all__, key=isort_key)
    assert set(data.__all__) == EXPECTED
    assert all(hasattr(data, name) for name in data.__all__)


def test_data_api_import_does_not_load_ccxt_rich_or_backtesting():
    code = (
        "import sys, tradewind.data\n"
        "heavy = [m for m in ('ccxt', 'rich', 'backtesting', 'torch') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
