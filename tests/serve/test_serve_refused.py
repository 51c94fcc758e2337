"""A bundle the gate refused is not served unless allowed or overridden, and every answer
carries the verdict (real uvicorn on 127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tradewind.artifacts import ENV_TRACKING_URI, Registry
from tradewind.artifacts.bundle import load_bundle, save_bundle
from tradewind.exceptions import GateRefused
from tradewind.serve import ServerThread, ServeSettings

REFUSED = {"passed": False, "checks": [
    {"name": "sharpe_ci_low", "value": -3.0, "threshold": 0.0, "passed": False, "detail": "x"}]}
TRADEWIND = Path(sys.executable).parent / "tradewind"


def _refused_copy(source: Path, dst: Path) -> Path:
    bundle = load_bundle(source)
    return save_bundle(dst, bundle.model, bundle.manifest.model_copy(update={"gate": REFUSED}))


def _payload(candles: pd.DataFrame) -> dict[str, Any]:
    columns = {"timestamp": [ts.isoformat() for ts in candles.index],
               **{k: candles[k].astype(float).tolist() for k in candles.columns}}
    return {"symbol": "BTC/USDT", "timeframe": "1h", "candles": columns}


def _answers(server: ServerThread, candles: pd.DataFrame) -> tuple[dict, dict, dict]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        signal = client.post("/v1/signal", json=_payload(candles))
        assert signal.status_code == 200, signal.text
        models = client.get("/v1/models").json()
        lookback, width = models["lookback"], len(models["feature_names"])
        window = [[0.01 * (i + j) for j in range(width)] for i in range(lookback)]
        predict = client.post("/v1/predict", json={"features": window})
        assert predict.status_code == 200, predict.text
    return signal.json(), predict.json(), models


def test_a_passed_bundle_says_so(server: ServerThread, serve_candles: pd.DataFrame) -> None:
    signal, predict, models = _answers(server, serve_candles.iloc[-200:])
    assert signal["gate_passed"] is True and signal["override_reason"] is None
    assert predict["gate_passed"] is True and models["allowed_refused"] is False


def test_a_refused_bundle_is_served_only_with_allow_refused(
    bundle_dir: Path, serve_candles: pd.DataFrame, tmp_path: Path
) -> None:
    refused = _refused_copy(bundle_dir, tmp_path / "refused")
    with pytest.raises(GateRefused, match=r"sharpe_ci_low.*--allow-refused"):
        ServerThread(ServeSettings(model=str(refused), port=0, poll_seconds=0))
    settings = ServeSettings(model=str(refused), port=0, poll_seconds=0, allow_refused=True)
    with ServerThread(settings) as server:
        signal, predict, models = _answers(server, serve_candles.iloc[-200:])
    assert signal["gate_passed"] is False and signal["override_reason"] is None
    assert predict["gate_passed"] is False
    assert models["gate_passed"] is False and models["allowed_refused"] is True


def test_an_audited_override_in_the_registry_is_served_and_named(
    bundle_dir: Path, serve_candles: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    registry = Registry(root=tmp_path / "runs", model_name="tw-refused")
    refused = _refused_copy(bundle_dir, tmp_path / "refused")
    record = registry.log_run(experiment="refused", params={}, epoch_metrics=[], oos_metrics={},
                              report_dir=None, bundle_dir=refused, gate=REFUSED)
    settings = ServeSettings(model="candidate", port=0, poll_seconds=0,
                             cache_dir=tmp_path / "cache",
                             registry={"root": str(registry.root), "model_name": "tw-refused"})
    with pytest.raises(GateRefused, match="--allow-refused"):
        ServerThread(settings)
    registry.promote(record.version, override_reason="paper trading only, reviewed by AB")
    with ServerThread(settings.model_copy(update={"model": "champion"})) as server:
        signal, predict, models = _answers(server, serve_candles.iloc[-200:])
    reason = "paper trading only, reviewed by AB"
    assert (signal["gate_passed"], signal["override_reason"]) == (False, reason)
    assert (predict["gate_passed"], predict["override_reason"]) == (False, reason)
    assert models["override_reason"] == reason and models["allowed_refused"] is False


def test_the_serve_command_refuses_a_refused_bundle(bundle_dir: Path, tmp_path: Path) -> None:
    refused = _refused_copy(bundle_dir, tmp_path / "refused")
    done = subprocess.run([str(TRADEWIND), "serve", "--model", str(refused), "--port", "0"],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    assert done.returncode == GateRefused.exit_code, done.stderr
    assert "--allow-refused" in done.stderr and "Traceback" not in done.stderr
