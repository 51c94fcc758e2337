"""/v1/signal applies the bundle's data policy to the window it is given (real uvicorn on
127.0.0.1): a gap is refused naming the first missing bar, or filled / allowed and said."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tradewind.artifacts.bundle import load_bundle, save_bundle
from tradewind.data.gaps import fill_gaps
from tradewind.serve import ServerThread, ServeSettings
from tradewind.signals import signal_from_bundle


def _with_policy(source: Path, dst: Path, gaps: str | None) -> Path:
    bundle = load_bundle(source)
    data = dict(bundle.manifest.data)
    if gaps is not None:
        data["policy"] = {"gaps": gaps, "zero_volume": "allow"}
    return save_bundle(dst, bundle.model, bundle.manifest.model_copy(update={"data": data}))


def _payload(candles: pd.DataFrame) -> dict[str, Any]:
    columns = {"timestamp": [ts.isoformat() for ts in candles.index],
               **{k: candles[k].astype(float).tolist() for k in candles.columns}}
    return {"symbol": "BTC/USDT", "timeframe": "1h", "candles": columns}


@pytest.fixture(scope="module")
def gappy(serve_candles: pd.DataFrame) -> pd.DataFrame:
    window = serve_candles.iloc[-300:]
    return window.drop(window.index[120:170])  # 50 bars missing in the middle


@pytest.fixture(scope="module")
def servers(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[dict[str, ServerThread]]:
    root = tmp_path_factory.mktemp("gap-bundles")
    running: dict[str, ServerThread] = {}
    try:
        for mode in ("error", "fill", None):
            path = _with_policy(bundle_dir, root / str(mode), mode)
            running[str(mode)] = ServerThread(
                ServeSettings(model=str(path), port=0, poll_seconds=0)).start()
        yield running
    finally:
        for server in running.values():
            server.stop()


def _post(server: ServerThread, candles: pd.DataFrame) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.post("/v1/signal", json=_payload(candles))


def test_a_policy_that_refuses_gaps_answers_422_naming_the_first_missing_bar(
    servers: dict[str, ServerThread], gappy: pd.DataFrame, serve_candles: pd.DataFrame
) -> None:
    reply = _post(servers["error"], gappy)
    assert reply.status_code == 422, reply.text
    (detail,) = reply.json()["detail"]
    first_missing = serve_candles.index[-300 + 120].isoformat()
    assert detail["loc"] == ["body", "candles"]
    assert f"first missing bar opening at {first_missing}" in detail["msg"]
    assert "50 bar(s) missing" in detail["msg"]
    whole = _post(servers["error"], serve_candles.iloc[-300:])
    assert whole.status_code == 200 and whole.json()["warnings"] == []


def test_a_policy_that_fills_gaps_fills_them_and_says_so(
    servers: dict[str, ServerThread], gappy: pd.DataFrame, bundle_dir: Path
) -> None:
    reply = _post(servers["fill"], gappy)
    assert reply.status_code == 200, reply.text
    got = reply.json()
    assert len(got["warnings"]) == 1 and "filled with flat bars" in got["warnings"][0]
    filled, n = fill_gaps(gappy, 3600)
    assert n == 50
    want = signal_from_bundle(load_bundle(bundle_dir), filled, None, symbol="BTC/USDT",
                              timeframe="1h")
    assert got["probabilities"] == want.probabilities


def test_a_bundle_without_a_recorded_policy_allows_gaps_with_a_warning(
    servers: dict[str, ServerThread], gappy: pd.DataFrame
) -> None:
    reply = _post(servers["None"], gappy)
    assert reply.status_code == 200, reply.text
    (warning,) = reply.json()["warnings"]
    assert "50 bar(s) missing in 1 gap(s)" in warning and "computed across the gap" in warning
