"""A bundle with cross-asset features served: /v1/signal takes the reference candles as
``references`` and answers what the batch path gives for the same bars."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from cross_bundle import SOURCE, cross_bundle, cross_candles
from tradewind.artifacts.bundle import save_bundle
from tradewind.serve import ServerThread, ServeSettings
from tradewind.signals import signals_for_bars


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {"timestamp": [ts.isoformat() for ts in frame.index],
            **{k: frame[k].astype(float).tolist() for k in ("open", "high", "low", "close", "volume")}}


@pytest.fixture(scope="module")
def cross_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = cross_bundle(*cross_candles())
    return save_bundle(tmp_path_factory.mktemp("cross") / "bundle", bundle.model, bundle.manifest)


@pytest.fixture(scope="module")
def client(cross_dir: Path) -> Iterator[httpx.Client]:
    with ServerThread(ServeSettings(model=str(cross_dir), port=0, poll_seconds=0)) as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_signal_with_references_equals_the_batch_signal_of_the_same_bars(
    client: httpx.Client, cross_dir: Path,
) -> None:
    inst, ref = cross_candles()
    bundle = cross_bundle(inst, ref)
    recent = inst.iloc[-(bundle.min_candles + 30):]
    # the reference as the client has it: up to the newest instrument bar, rows form
    sent = ref.loc[:recent.index[-1]]
    rows = [{"timestamp": ts.isoformat(), **{k: float(v) for k, v in row.items()}}
            for ts, row in sent.iterrows()]
    want = signals_for_bars(bundle, inst, None, symbol="ADA/BTC", timeframe="1h",
                            references={"btc": ref})[-1]
    want = want.model_dump(mode="json")
    for refs in ({"btc": rows}, {"btc": _columns(sent)}):
        reply = client.post("/v1/signal", json={"symbol": "ADA/BTC", "timeframe": "1h",
                                                "candles": _columns(recent), "references": refs})
        assert reply.status_code == 200, reply.text
        got = reply.json()
        assert got["timestamp"] == want["timestamp"]
        assert got["direction"] == want["direction"]
        assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-6)
    models = client.get("/v1/models").json()
    assert models["references"] == {"btc": SOURCE}


def test_a_cross_bundle_without_references_is_refused_naming_them(client: httpx.Client) -> None:
    inst, ref = cross_candles()
    body = {"symbol": "ADA/BTC", "candles": _columns(inst.iloc[-200:])}
    reply = client.post("/v1/signal", json=body)
    assert reply.status_code == 422
    [detail] = reply.json()["detail"]
    assert detail["loc"] == ["body", "references"]
    assert f"missing 'btc' (trained on {SOURCE})" in detail["msg"]
    wrong = client.post("/v1/signal", json={**body, "references": {"eth": _columns(ref)}})
    assert wrong.status_code == 422
    assert "unexpected ['eth']" in wrong.json()["detail"][0]["msg"]


def test_bad_reference_candles_are_named_by_their_location(client: httpx.Client) -> None:
    inst, ref = cross_candles()
    body = {"symbol": "ADA/BTC", "candles": _columns(inst.iloc[-200:])}
    bad = _columns(ref)
    bad["close"][7] = -1.0
    reply = client.post("/v1/signal", json={**body, "references": {"btc": bad}})
    assert reply.status_code == 422
    assert [d["loc"] for d in reply.json()["detail"]] == [["body", "references", "btc", "close", 7]]
    late = _columns(ref.loc[inst.index[-150]:])  # opens after the candles' first bars
    reply = client.post("/v1/signal", json={**body, "references": {"btc": late}})
    assert reply.status_code == 422
    [detail] = reply.json()["detail"]
    assert detail["loc"] == ["body", "references"]
    assert "does not cover the instrument" in detail["msg"]


def test_references_for_a_bundle_without_cross_features_are_refused(
    server: ServerThread, serve_candles: pd.DataFrame,
) -> None:
    candles = _columns(serve_candles.iloc[-180:])
    with httpx.Client(base_url=server.url, timeout=60) as http:
        reply = http.post("/v1/signal", json={"symbol": "BTC/USDT", "candles": candles,
                                              "references": {"btc": candles}})
    assert reply.status_code == 422
    [detail] = reply.json()["detail"]
    assert detail["loc"] == ["body", "references"]
    assert "no cross-asset features" in detail["msg"]
