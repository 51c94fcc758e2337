"""Request parsing and the server's signal path, without HTTP: same answers as the library."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.exceptions import RequestValidationError

from tradewind.artifacts.bundle import load_bundle
from tradewind.serve import InputError, predict_windows
from tradewind.serve.inference import latest_signal
from tradewind.serve.payloads import candle_arrays, candles_frame, read_body
from tradewind.serve.schemas import PredictRequest, SignalRequest
from tradewind.signals import bundle_fingerprint, signal_from_bundle


def _rows(candles: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"timestamp": ts.isoformat(), **{k: float(v) for k, v in row.items()}}
            for ts, row in candles.iterrows()]


def _columns(candles: pd.DataFrame) -> dict[str, list[Any]]:
    return {"timestamp": [ts.isoformat() for ts in candles.index],
            **{k: candles[k].astype(float).tolist() for k in candles.columns}}


def _body(candles: Any, **extra: Any) -> bytes:
    return json.dumps({"symbol": "BTC/USDT", "candles": candles, **extra}).encode()


def _errors(raw: bytes) -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationError) as caught:
        read_body(SignalRequest, raw)
    return list(caught.value.errors())


def test_rows_and_columns_parse_to_the_same_canonical_candles(serve_candles: pd.DataFrame) -> None:
    candles = serve_candles.iloc[-120:]
    frames = []
    for form in (_rows(candles), _columns(candles)):
        stamps, values, columnar = candle_arrays(read_body(SignalRequest, _body(form)).candles)
        assert columnar is isinstance(form, dict)
        frames.append(candles_frame(stamps, values, columnar=columnar))
    for frame in frames:
        pd.testing.assert_frame_equal(frame, candles, check_column_type=False, check_freq=False)
        assert str(frame.index.tz) == "UTC" and frame.index.name == "timestamp"


def test_timestamps_in_any_offset_naive_or_unix_seconds_mean_the_same_instant() -> None:
    base = {"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 3.0}
    rows = [{**base, "timestamp": "2024-03-01T10:00:00+02:00"},  # 08:00 UTC
            {**base, "timestamp": "2024-03-01T09:00:00"},  # naive: UTC
            {**base, "timestamp": 1709287200},  # Unix seconds: 10:00 UTC
            {**base, "timestamp": "2024-03-01T11:00:00.000250Z"}]
    stamps, _, _ = candle_arrays(read_body(SignalRequest, _body(rows)).candles)
    want = pd.DatetimeIndex(["2024-03-01 08:00", "2024-03-01 09:00", "2024-03-01 10:00",
                             "2024-03-01 11:00:00.000250"], tz="UTC").as_unit("ns").asi8
    np.testing.assert_array_equal(stamps, want)


def test_bad_values_are_named_by_row_and_field_in_either_form(serve_candles: pd.DataFrame) -> None:
    candles = serve_candles.iloc[-20:]
    rows, columns = _rows(candles), _columns(candles)
    rows[7]["close"] = math.nan
    (error,) = _errors(_body(rows))
    assert error["loc"] == ["body", "candles", 7, "close"] and "finite" in error["msg"]
    columns["volume"][4] = -1.0
    (error,) = _errors(_body(columns))
    assert error["loc"] == ["body", "candles", "volume", 4]
    assert "greater than or equal to 0" in error["msg"]

    short = {**_columns(candles), "open": _columns(candles)["open"][:-1]}
    (error,) = _errors(_body(short))
    assert error["loc"] == ["body", "candles"] and "'open': 19" in error["msg"]
    (error,) = _errors(_body(5))
    assert error["loc"] == ["body", "candles"]
    assert "list of candle objects or an object of columns" in error["msg"]
    extra = [*_rows(candles)[:-1], {**_rows(candles)[-1], "vwap": 1.0}]
    assert _errors(_body(extra))[0]["loc"] == ["body", "candles", 19, "vwap"]
    (error,) = _errors(b"{not json")
    assert error["loc"] == ["body"] and error["type"] == "json_invalid"
    assert [e["loc"] for e in _errors(json.dumps({"candles": _rows(candles)}).encode())] == [
        ["body", "symbol"]]


def test_unsorted_or_duplicate_timestamps_name_the_row(serve_candles: pd.DataFrame) -> None:
    candles = serve_candles.iloc[-10:]
    stamps = candles.index.as_unit("ns").asi8.copy()
    stamps[6] = stamps[5]
    with pytest.raises(InputError, match="duplicates") as caught:
        candles_frame(stamps, candles.to_numpy(), columnar=True)
    assert caught.value.loc == ("body", "candles", "timestamp", 6)
    stamps[6] = stamps[4]
    with pytest.raises(InputError, match="is earlier than") as caught:
        candles_frame(stamps, candles.to_numpy())
    assert caught.value.loc == ("body", "candles", 6, "timestamp")


@pytest.mark.parametrize("kind", ["plain", "side", "tta"])
def test_latest_signal_equals_signal_from_bundle(kind: str, make_bundle, tmp_path: Path,
                                                 serve_candles: pd.DataFrame) -> None:
    options = {"plain": {}, "side": {"side": True}, "tta": {"tta": ("identity", "smooth")}}[kind]
    bundle = load_bundle(make_bundle(tmp_path / kind, seed=5, name=kind, **options))
    spec = bundle.policy.with_overrides({"threshold": 0.5})
    for history in (bundle.min_candles, bundle.min_candles + 37, len(serve_candles)):
        candles = serve_candles.iloc[-history:]
        got = latest_signal(bundle, candles, spec, symbol="X/Y", timeframe=None, model_version="3",
                            fingerprint=bundle_fingerprint(bundle))
        want = signal_from_bundle(bundle, candles, spec, symbol="X/Y", model_version="3")
        assert got.model_dump(mode="json") == want.model_dump(mode="json")


@pytest.mark.parametrize("kind", ["plain", "side", "tta"])
def test_predict_windows_matches_the_batch_path(kind: str, make_bundle, tmp_path: Path,
                                                serve_candles: pd.DataFrame) -> None:
    options = {"plain": {}, "side": {"side": True}, "tta": {"tta": ("zscore",)}}[kind]
    bundle = load_bundle(make_bundle(tmp_path / kind, seed=6, name=kind, **options))
    feats = bundle.features(serve_candles)
    frame = feats.frame.to_numpy(dtype=np.float64)
    ends = np.arange(len(frame) - 7, len(frame))
    windows = np.stack([frame[e - bundle.lookback + 1: e + 1] for e in ends])
    side = None if feats.side is None else feats.side.to_numpy(dtype=np.float64)[ends]
    expected = bundle.predict_proba(serve_candles).to_numpy()[-7:]
    np.testing.assert_allclose(predict_windows(bundle, windows, side), expected, rtol=0, atol=1e-6)
    one = predict_windows(bundle, windows[-1:], None if side is None else side[-1:])
    np.testing.assert_allclose(one, expected[-1:], rtol=0, atol=1e-6)


def test_predict_body_parses_nested_numbers_and_refuses_unknown_keys() -> None:
    body = read_body(PredictRequest, b'{"features": [[1, 2.5], [NaN, 4]]}')
    assert body.features[0] == [1, 2.5] and math.isnan(body.features[1][0])
    with pytest.raises(RequestValidationError) as caught:
        read_body(PredictRequest, b'{"features": [[1]], "windows": 3}')
    assert [e["loc"] for e in caught.value.errors()] == [["body", "windows"]]
