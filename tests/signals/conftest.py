"""Fixtures: a small synthetic market and cheap untrained bundles built on it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle
from tradewind.data import load

_spec = importlib.util.spec_from_file_location(
    "tradewind_tests_signal_bundles", Path(__file__).resolve().parents[1] / "signals" / "signal_bundles.py"
)
assert _spec is not None and _spec.loader is not None
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)
build_bundle = factory.build_bundle


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
