"""Fixtures: a small synthetic market and cheap untrained bundles built on it."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from signal_bundles import build_bundle
from tradewind.artifacts.bundle import Bundle
from tradewind.data import load


@pytest.fixture(scope="session")
def candles() -> pd.DataFrame:
    return load("synthetic:planted?bars=260&seed=3&timeframe=1h")


@pytest.fixture(scope="session")
def make_bundle(candles: pd.DataFrame) -> Callable[..., Bundle]:
    def make(seed: int = 0, kind: str = "direction", name: str = "unit") -> Bundle:
        return build_bundle(candles, seed=seed, kind=kind, name=name)

    return make


@pytest.fixture(scope="session")
def bundle(make_bundle: Callable[..., Bundle]) -> Bundle:
    return make_bundle()
