"""Fixtures for the data tests: candle frames, CSV writers and the fake exchange."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _load_fake_exchange() -> ModuleType:
    # Loaded under a unique name so another area's helper module cannot shadow it.
    spec = importlib.util.spec_from_file_location(
        "tradewind_tests_data_fake_exchange", Path(__file__).with_name("fake_exchange.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fake() -> ModuleType:
    """The ``fake_exchange`` module (``FakeExchange``, ``make_rows``)."""
    return _load_fake_exchange()


def make_candles(n: int = 10, *, start: str = "2024-01-01", freq: str = "1h") -> pd.DataFrame:
    """``n`` valid canonical bars (open = previous close, range around both)."""
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC").as_unit("ns").rename("timestamp")
    close = 100.0 + np.arange(n, dtype=np.float64)
    open_ = np.concatenate([[99.5], close[:-1]])
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.5,
            "low": np.minimum(open_, close) - 0.5,
            "close": close,
            "volume": 10.0 + np.arange(n, dtype=np.float64),
        },
        index=index,
    )


@pytest.fixture
def candles() -> Callable[..., pd.DataFrame]:
    """Factory: ``candles(n, start=..., freq=...)`` -> valid canonical frame."""
    return make_candles


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Factory: ``write_csv(text, name="x.csv")`` -> path of a file holding ``text``."""

    def write(text: str, name: str = "candles.csv") -> Path:
        path = tmp_path / name
        path.write_text(text.strip() + "\n", encoding="utf-8")
        return path

    return write
