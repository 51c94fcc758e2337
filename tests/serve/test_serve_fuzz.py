"""Property-based fuzzing of the server's request bodies through the FastAPI app: any
malformed JSON payload is answered 200 or 422 with the location of what is wrong, never
500 (no socket: ``fastapi.testclient.TestClient`` calls the app in-process)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.serve import ServeSettings, create_app

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FIELDS = ("timestamp", "open", "high", "low", "close", "volume")

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=12,
)
_ODD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "0", "-1", "1e308",
                "99999999999999999999999999", "-0.0", "5e-324"]
_ODD_TIMES = ['"9999-12-31T23:59:59"', '"0001-01-01T00:00:00"', '"2024-02-30T00:00:00"',
              "1e20", "-1e20", "253402300800", "-62135596801", '"2024-01-01T00:00:00+25:00"',
              '"2024-01-01T00:00:00+05:00"', '"not a time"', "1.5", "true", "null", '""']
_TIMEFRAMES = ["1h", "1m", "", "0m", "-1h", "1x", "h", "99999999999999999999d", "1e9h", "1.5h",
               "1H", "１h", "∞m", "1w", "1M", "999999999w"]


@pytest.fixture(scope="module")
def client(bundle_dir: Path) -> Iterator[TestClient]:
    app = create_app(ServeSettings(model=str(bundle_dir), poll_seconds=0, max_candles=2000))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def base_candles(serve_candles: pd.DataFrame, client: TestClient) -> pd.DataFrame:
    need = client.get("/v1/models").json()["min_candles"]
    return serve_candles.iloc[-(need + 5):]


def _rows(candles: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"timestamp": ts.isoformat(), **{k: float(v) for k, v in row.items()}}
            for ts, row in candles.iterrows()]


def _raw_json(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


@st.composite
def signal_body(draw: st.DrawFn, candles: pd.DataFrame) -> bytes:
    """A /v1/signal body: a valid one in either form, then broken by a few random edits.

    Edits work on the JSON text of single values, so NaN, 1e400 and other tokens Python's
    json would not write reach the server as a client could send them.
    """
    rows = _rows(candles)
    columnar = draw(st.booleans())
    tokens: dict[str, Any] = {"symbol": '"BTC/USDT"'}
    if columnar:
        cols = {f: [_raw_json(r[f]) for r in rows] for f in FIELDS}
    else:
        items = [{f: _raw_json(r[f]) for f in FIELDS} for r in rows]
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(["value", "number", "time", "drop", "extra", "swap",
                                     "truncate_list", "replace_candles", "symbol", "timeframe",
                                     "top_key"]))
        n = len(cols["open"]) if columnar else len(items)
        i = draw(st.integers(0, max(n - 1, 0)))
        field = draw(st.sampled_from(FIELDS))
        if edit in ("value", "number", "time") and n:
            token = (_raw_json(draw(_JSON)) if edit == "value"
                     else draw(st.sampled_from(_ODD_NUMBERS if edit == "number" else _ODD_TIMES)))
            if columnar:
                cols[field][min(i, len(cols[field]) - 1)] = token
            else:
                items[i][field] = token
        elif edit == "drop" and n:
            if columnar:
                cols[field].pop(min(i, len(cols[field]) - 1))
            else:
                items[i].pop(field, None)
        elif edit == "extra" and not columnar and n:
            items[i][draw(st.text(min_size=1, max_size=6))] = "1"
        elif edit == "swap" and n > 1:
            j = draw(st.integers(0, n - 1))
            if columnar:
                for values in cols.values():
                    if max(i, j) < len(values):
                        values[i], values[j] = values[j], values[i]
            else:
                items[i], items[j] = items[j], items[i]
        elif edit == "truncate_list":
            keep = draw(st.integers(0, n))
            if columnar:
                cols = {f: v[:keep] for f, v in cols.items()}
            else:
                items = items[:keep]
        elif edit == "replace_candles":
            tokens["candles"] = _raw_json(draw(_JSON))
        elif edit == "symbol":
            tokens["symbol"] = _raw_json(draw(_JSON))
        elif edit == "timeframe":
            tokens["timeframe"] = _raw_json(draw(st.sampled_from(_TIMEFRAMES) | st.text(max_size=6)))
        else:
            tokens[draw(st.text(max_size=6))] = _raw_json(draw(_JSON))
    if "candles" not in tokens:
        if columnar:
            tokens["candles"] = "{" + ",".join(
                f'"{f}":[{",".join(v)}]' for f, v in cols.items()) + "}"
        else:
            tokens["candles"] = "[" + ",".join(
                "{" + ",".join(f"{_raw_json(k)}:{v}" for k, v in item.items()) + "}"
                for item in items) + "]"
    text = "{" + ",".join(f"{_raw_json(k)}:{v}" for k, v in tokens.items()) + "}"
    if draw(st.integers(0, 9)) == 0:  # not JSON at all
        text = text[: draw(st.integers(0, len(text) - 1))]
    return text.encode()


def _check(response: Any) -> None:
    assert response.status_code in (200, 422), (response.status_code, response.text[:800])
    if response.status_code == 422:
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail, detail
        for item in detail:
            assert item["loc"] and item["loc"][0] == "body", item
            assert item["msg"], item


@FUZZ
@given(data=st.data())
def test_malformed_signal_bodies_get_a_located_422_never_a_500(
    data: st.DataObject, client: TestClient, base_candles: pd.DataFrame,
) -> None:
    body = data.draw(signal_body(base_candles))
    _check(client.post("/v1/signal", content=body, headers={"content-type": "application/json"}))


_WINDOW_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70),
    st.none(), st.text(max_size=3), st.booleans(),
)


@FUZZ
@given(
    features=st.one_of(
        _JSON,
        st.lists(st.lists(_WINDOW_VALUES, max_size=4), max_size=4),
        st.integers(0, 20).flatmap(lambda f: st.lists(
            st.lists(st.lists(_WINDOW_VALUES, min_size=f, max_size=f), min_size=16, max_size=16),
            min_size=0, max_size=3)),
    ),
    side=st.none() | _JSON,
    extra=st.none() | st.text(min_size=1, max_size=5),
)
def test_malformed_predict_bodies_get_a_located_422_never_a_500(
    client: TestClient, features: Any, side: Any, extra: str | None,
) -> None:
    body: dict[str, Any] = {"features": features}
    if side is not None:
        body["side"] = side
    if extra is not None and extra not in body:
        body[extra] = 1
    raw = json.dumps(body, allow_nan=True).encode()
    _check(client.post("/v1/predict", content=raw, headers={"content-type": "application/json"}))


def test_the_fuzzed_bodies_start_from_a_valid_request(client: TestClient,
                                                     base_candles: pd.DataFrame) -> None:
    body = json.dumps({"symbol": "BTC/USDT", "candles": _rows(base_candles)})
    answer = client.post("/v1/signal", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert math.isclose(sum(answer.json()["probabilities"].values()), 1.0, rel_tol=1e-6)


@pytest.mark.parametrize("columnar", [False, True])
@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", 1e10])
def test_what_the_fuzzing_found_times_beyond_the_nanosecond_range(
    client: TestClient, base_candles: pd.DataFrame, stamp: Any, columnar: bool,
) -> None:
    """Once silently wrapped round by an int64 overflow and signalled with a 200."""
    rows = _rows(base_candles)
    row = 0 if isinstance(stamp, str) else len(rows) - 1
    rows[row]["timestamp"] = stamp
    candles: Any = rows
    if columnar:
        candles = {f: [r[f] for r in rows] for f in FIELDS}
    answer = client.post("/v1/signal", json={"symbol": "BTC/USDT", "candles": candles})
    assert answer.status_code == 422, answer.text
    (item,) = answer.json()["detail"]
    where = ["body", "candles", "timestamp", row] if columnar else ["body", "candles", row, "timestamp"]
    assert item["loc"] == where and "outside 1677-09-23 … 2262-04-10" in item["msg"]


@pytest.mark.parametrize("timeframe", ["999999999w", "99999999999999999999d", "１h"])
def test_what_the_fuzzing_found_timeframes_too_long_or_not_ascii(
    client: TestClient, base_candles: pd.DataFrame, timeframe: str,
) -> None:
    body = {"symbol": "BTC/USDT", "timeframe": timeframe, "candles": _rows(base_candles)}
    answer = client.post("/v1/signal", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "timeframe"]
