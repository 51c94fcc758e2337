"""The server holds requests to the bundle's contract: its timeframe and sane feature values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tradewind.artifacts.bundle import load_bundle
from tradewind.data import load
from tradewind.serve import ServerThread, ServeSettings


def _payload(candles: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    columns = {"timestamp": [ts.isoformat() for ts in candles.index],
               **{k: candles[k].astype(float).tolist() for k in candles.columns}}
    return {"symbol": "BTC/USDT", "candles": columns, **extra}


@pytest.fixture
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def windows(bundle_dir: Path, serve_candles: pd.DataFrame) -> np.ndarray:
    """Two real raw feature windows of the bundle."""
    bundle = load_bundle(bundle_dir)
    frame = bundle.features(serve_candles).frame.to_numpy(dtype=np.float64)
    return np.stack([frame[-bundle.lookback - 1:-1], frame[-bundle.lookback:]])


def _detail(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 422, reply.text
    (detail,) = reply.json()["detail"]
    return detail


def test_a_declared_timeframe_other_than_the_bundle_is_a_422_naming_both(
    client: httpx.Client, serve_candles: pd.DataFrame
) -> None:
    detail = _detail(client.post("/v1/signal", json=_payload(serve_candles, timeframe="1d")))
    assert detail["loc"] == ["body", "timeframe"]
    assert "trained on 1h bars, but the timeframe given is 1d" in detail["msg"]
    ok = client.post("/v1/signal", json=_payload(serve_candles, timeframe="1h"))
    assert ok.status_code == 200, ok.text


def test_daily_candles_sent_to_an_hourly_bundle_are_a_422_naming_both(
    client: httpx.Client,
) -> None:
    daily = load("synthetic:planted?bars=200&seed=2&timeframe=1d")
    detail = _detail(client.post("/v1/signal", json=_payload(daily)))
    assert "trained on 1h bars, but the candles are 1d" in detail["msg"]


def test_predict_refuses_a_declared_timeframe_other_than_the_bundle(
    client: httpx.Client, windows: np.ndarray
) -> None:
    body = {"features": windows.tolist(), "timeframe": "1d"}
    detail = _detail(client.post("/v1/predict", json=body))
    assert detail["loc"] == ["body", "timeframe"]
    assert "trained on 1h bars, but the timeframe given is 1d" in detail["msg"]
    ok = client.post("/v1/predict", json={**body, "timeframe": "1h"})
    assert ok.status_code == 200, ok.text


def test_predict_refuses_a_feature_value_no_candle_can_give(
    client: httpx.Client, windows: np.ndarray, bundle_dir: Path
) -> None:
    bundle = load_bundle(bundle_dir)
    absurd = windows.copy()
    absurd[1, 5, 3] = 1e300
    detail = _detail(client.post("/v1/predict", json={"features": absurd.tolist()}))
    name = bundle.manifest.feature_names[3]
    assert detail["loc"] == ["body", "features", 1, 5, 3]
    assert f"feature {name!r} = 1e+300" in detail["msg"]
    single = _detail(client.post("/v1/predict", json={"features": absurd[1].tolist()}))
    assert single["loc"] == ["body", "features", 5, 3]
    # far outside what training saw, yet within what the normaliser can take: answered
    centre, scale = bundle.normalizer.center_[3], bundle.normalizer.scale_[3]
    unusual = windows.copy()
    unusual[1, 5, 3] = centre + 1e3 * scale
    assert client.post("/v1/predict", json={"features": unusual.tolist()}).status_code == 200


def test_predict_refuses_a_side_feature_value_no_candle_can_give(
    make_bundle: Callable[..., Path], serve_candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = make_bundle(tmp_path / "side", side=True)
    bundle = load_bundle(path)
    feats = bundle.features(serve_candles)
    window = feats.frame.to_numpy(dtype=np.float64)[-bundle.lookback:]
    side = feats.side.to_numpy(dtype=np.float64)[-1].copy()
    side[2] = -1e300
    settings = ServeSettings(model=str(path), port=0, poll_seconds=0)
    with ServerThread(settings) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        detail = _detail(http.post("/v1/predict", json={"features": window.tolist(),
                                                       "side": side.tolist()}))
    assert detail["loc"] == ["body", "side", 2]
    assert f"feature {bundle.manifest.side_names[2]!r} = -1e+300" in detail["msg"]
