"""The HTTP API against a real uvicorn server on a loopback port, with a real client."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tradewind.artifacts.bundle import load_bundle
from tradewind.artifacts.digest import bundle_digest
from tradewind.serve import ServerThread, ServeSettings, predict_windows
from tradewind.signals import signal_from_bundle


def _payload(candles: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    rows = [{"timestamp": ts.isoformat(), **{k: float(v) for k, v in row.items()}}
            for ts, row in candles.iterrows()]
    return {"symbol": "BTC/USDT", "candles": rows, **extra}


def _columns_payload(candles: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    columns = {"timestamp": [ts.isoformat() for ts in candles.index],
               **{k: candles[k].astype(float).tolist() for k in candles.columns}}
    return {"symbol": "BTC/USDT", "candles": columns, **extra}


def _windows(bundle_dir: Path, candles: pd.DataFrame, n: int) -> tuple[list, np.ndarray]:
    """The last ``n`` raw feature windows and the bundle's own probabilities for them."""
    bundle = load_bundle(bundle_dir)
    frame = bundle.features(candles).frame.to_numpy(dtype=np.float64)
    windows = [frame[e - bundle.lookback + 1 : e + 1].tolist()
               for e in range(len(frame) - n, len(frame))]
    expected = bundle.predict_proba(candles).to_numpy()[-n:]
    return windows, expected


@pytest.fixture
def client(server: ServerThread) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_signal_equals_the_library_signal(client: httpx.Client, bundle_dir: Path,
                                          serve_candles: pd.DataFrame) -> None:
    candles = serve_candles.iloc[-200:]
    reply = client.post("/v1/signal", json=_payload(candles, timeframe="1h"))
    assert reply.status_code == 200, reply.text
    got = reply.json()
    want = signal_from_bundle(load_bundle(bundle_dir), candles, None, symbol="BTC/USDT",
                              timeframe="1h").model_dump(mode="json")
    assert got == want
    assert pd.Timestamp(got["timestamp"]) == candles.index[-1]
    inferred = client.post("/v1/signal", json=_payload(candles)).json()  # timeframe from the index
    assert inferred["timeframe"] == "1h" and inferred["probabilities"] == got["probabilities"]


def test_columnar_candles_give_the_same_signal_inline_and_in_a_worker_thread(
    client: httpx.Client, pooled_server: ServerThread, bundle_dir: Path,
    serve_candles: pd.DataFrame,
) -> None:
    candles = serve_candles.iloc[-180:]
    want = signal_from_bundle(load_bundle(bundle_dir), candles, None, symbol="BTC/USDT",
                              timeframe="1h").model_dump(mode="json")
    with httpx.Client(base_url=pooled_server.url, timeout=30) as pooled:
        for http in (client, pooled):
            for body in (_columns_payload(candles, timeframe="1h"), _payload(candles, timeframe="1h")):
                reply = http.post("/v1/signal", json=body)
                assert reply.status_code == 200, reply.text
                assert reply.json() == want
        bad = _columns_payload(candles)
        bad["candles"]["high"][11] = 0.0
        reply = pooled.post("/v1/signal", json=bad)
        assert reply.status_code == 422
        assert [d["loc"] for d in reply.json()["detail"]] == [["body", "candles", "high", 11]]
        windows, expected = _windows(bundle_dir, serve_candles, 3)
        got = pooled.post("/v1/predict", json={"features": windows}).json()["probabilities"]
        np.testing.assert_allclose([[p["DOWN"], p["UP"]] for p in got], expected, atol=1e-6)


def test_predict_applies_normaliser_model_and_calibrator(client: httpx.Client, bundle_dir: Path,
                                                          serve_candles: pd.DataFrame) -> None:
    windows, expected = _windows(bundle_dir, serve_candles, 5)
    batch = client.post("/v1/predict", json={"features": windows}).json()
    assert batch["batched"] is True and batch["classes"] == ["DOWN", "UP"]
    got = np.array([[p["DOWN"], p["UP"]] for p in batch["probabilities"]])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert batch["predicted"] == [["DOWN", "UP"][i] for i in expected.argmax(axis=1)]
    single = client.post("/v1/predict", json={"features": windows[-1]}).json()
    assert single["batched"] is False and len(single["probabilities"]) == 1
    assert single["probabilities"][0]["UP"] == pytest.approx(expected[-1, 1], rel=1e-5)
    direct = predict_windows(load_bundle(bundle_dir), np.asarray(windows))
    np.testing.assert_allclose(direct, expected, rtol=1e-5, atol=1e-6)


def test_models_health_and_openapi(client: httpx.Client, bundle_dir: Path) -> None:
    models = client.get("/v1/models").json()
    bundle = load_bundle(bundle_dir)
    assert models["name"] == "unit" and models["version"] is None
    assert models["data_fingerprint"] == "unit-0-fingerprint"
    assert models["fingerprint"] == bundle_digest(bundle)  # the model itself, not its data
    assert models["gate_passed"] is True
    assert models["feature_names"] == bundle.manifest.feature_names
    assert models["lookback"] == bundle.lookback and models["min_candles"] == bundle.min_candles
    assert client.get("/healthz").json() == {"status": "ok", "model_name": "unit",
                                             "model_version": None, "worker_pid": os.getpid(),
                                             "symbols": []}
    spec = client.get("/openapi.json").json()
    assert {"/v1/signal", "/v1/predict", "/v1/models", "/healthz", "/metrics"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    for path, model in (("/v1/signal", "SignalRequest"), ("/v1/predict", "PredictRequest")):
        post = spec["paths"][path]["post"]
        body = post["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"} and model in schemas
        assert "422" in post["responses"] and "HTTPValidationError" in schemas
    forms = json.dumps(schemas["SignalRequest"]["properties"]["candles"])
    assert "#/components/schemas/CandleIn" in forms and "#/components/schemas/CandleColumns" in forms
    assert set(schemas["CandleColumns"]["required"]) == {"timestamp", "open", "high", "low",
                                                         "close", "volume"}


def _bad_payloads(candles: pd.DataFrame, windows: list, min_candles: int) -> list[tuple[str, Any, str]]:
    """(route, body or raw text, text the 422 must contain)."""
    good = _payload(candles)
    rows = good["candles"]
    swapped = [*rows[:-2], rows[-1], rows[-2]]
    duplicate = [*rows[:-1], {**rows[-1], "timestamp": rows[-2]["timestamp"]}]
    nan_close = [*rows[:-1], {**rows[-1], "close": math.nan}]
    inf_volume = [*rows[:-1], {**rows[-1], "volume": math.inf}]
    high_below_low = [*rows[:-1], {**rows[-1], "high": rows[-1]["low"] * 0.5}]
    one = windows[-1]
    return [
        ("/v1/signal", {**good, "candles": rows[: min_candles - 1]}, f"at least {min_candles}"),
        ("/v1/signal", {**good, "candles": swapped}, "ascending"),
        ("/v1/signal", {**good, "candles": duplicate}, "duplicates"),
        ("/v1/signal", {**good, "candles": nan_close}, "close"),
        ("/v1/signal", {**good, "candles": inf_volume}, "volume"),
        ("/v1/signal", {**good, "candles": high_below_low}, "malformed candle"),
        ("/v1/signal", {**good, "timeframe": "7x"}, "timeframe"),
        ("/v1/signal", {"candles": rows}, "symbol"),
        ("/v1/signal", {**good, "extra": 1}, "extra"),
        ("/v1/signal", "{not json", "json"),
        ("/v1/predict", {"features": [row[:-1] for row in one]}, "features per row"),
        ("/v1/predict", {"features": one[1:]}, "lookback"),
        ("/v1/predict", {"features": [one, one[1:]]}, "rectangular"),
        ("/v1/predict", {"features": [[*one[:-1], [math.nan] * len(one[0])]]}, "finite"),
        ("/v1/predict", {"features": [[[["deep"]]]]}, "features"),
        ("/v1/predict", {"features": []}, "features"),
        ("/v1/predict", {"features": one, "side": [1.0]}, "side"),
        ("/v1/predict", {}, "features"),
    ]


def test_malformed_payloads_get_422_naming_the_field_then_a_good_one_succeeds(
    client: httpx.Client, bundle_dir: Path, serve_candles: pd.DataFrame
) -> None:
    candles = serve_candles.iloc[-150:]
    windows, expected = _windows(bundle_dir, candles, 2)
    min_candles = load_bundle(bundle_dir).min_candles
    for route, body, needle in _bad_payloads(candles, windows, min_candles):
        if isinstance(body, str):
            reply = client.post(route, content=body, headers={"content-type": "application/json"})
        else:  # NaN/inf travel as the JSON extensions NaN/Infinity that Python clients send
            reply = client.post(route, content=json.dumps(body),
                                headers={"content-type": "application/json"})
        assert reply.status_code == 422, (route, needle, reply.status_code, reply.text)
        detail = reply.json()["detail"]
        text = " ".join(f"{d['loc']} {d['msg']}" for d in detail).lower()
        assert needle.lower() in text, (needle, text)
    for kind in ("text/plain", None):  # JSON only, as FastAPI does for bodies it parses
        headers = {"content-type": kind} if kind else {}
        reply = client.post("/v1/predict", content=json.dumps({"features": windows}),
                            headers=headers)
        assert reply.status_code == 422, reply.text
        assert "Content-Type: application/json" in reply.json()["detail"][0]["msg"]
    ok = client.post("/v1/signal", json=_payload(candles))
    assert ok.status_code == 200
    ok = client.post("/v1/predict", json={"features": windows})
    assert ok.status_code == 200
    assert ok.json()["probabilities"][1]["UP"] == pytest.approx(expected[1, 1], rel=1e-5)


def test_too_few_candles_names_the_number_and_the_field(client: httpx.Client,
                                                         serve_candles: pd.DataFrame,
                                                         bundle_dir: Path) -> None:
    need = load_bundle(bundle_dir).min_candles
    reply = client.post("/v1/signal", json=_payload(serve_candles.iloc[:10]))
    assert reply.status_code == 422
    (detail,) = reply.json()["detail"]
    assert detail["loc"] == ["body", "candles"]
    assert f"10 candles given, this model needs at least {need}" in detail["msg"]


def test_metrics_count_routes_statuses_latency_and_classes(client: httpx.Client,
                                                           serve_candles: pd.DataFrame,
                                                           bundle_dir: Path) -> None:
    windows, _ = _windows(bundle_dir, serve_candles, 3)
    assert client.post("/v1/predict", json={"features": windows}).status_code == 200
    assert client.post("/v1/predict", json={"features": [[1.0]]}).status_code == 422
    text = client.get("/metrics").text
    assert 'tradewind_requests_total{method="POST",route="/v1/predict",status="200"}' in text
    assert 'tradewind_requests_total{method="POST",route="/v1/predict",status="422"}' in text
    assert 'tradewind_request_latency_seconds_bucket{le="0.1",route="/v1/predict"}' in text
    shares = {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith("tradewind_predicted_class_share{")}
    assert set(shares) <= {"DOWN", "UP"} and sum(shares.values()) == pytest.approx(1.0)
    digest = bundle_digest(load_bundle(bundle_dir))
    assert f'tradewind_model_info{{fingerprint="{digest}"' in text


def test_server_thread_binds_loopback_only(bundle_dir: Path) -> None:
    with ServerThread(ServeSettings(model=str(bundle_dir), port=0, poll_seconds=0)) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert httpx.get(srv.url + "/healthz", timeout=10).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(srv.url + "/healthz", timeout=2)
