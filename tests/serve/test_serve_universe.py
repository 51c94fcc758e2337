"""A run over several symbols deployed by symbol: `signal`/`backtest --symbol`, `/v1/signal`
routed by its symbol, and the same signal from the script, the server and the batch path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tradewind.artifacts.bundle import WEIGHTS, load_bundle, save_bundle
from tradewind.artifacts.signing import SIGNATURE, new_keypair
from tradewind.artifacts.universe import UNIVERSE_INDEX, bundle_for, load_universe
from tradewind.backtest.of_bundle import backtest_bundle
from tradewind.config import BacktestSpec, Experiment, validate_section
from tradewind.data import load
from tradewind.exceptions import BundleError, ConfigError, GateRefused, SignatureError
from tradewind.pipeline.experiment import run_experiment
from tradewind.serve import ServerThread, ServeSettings, create_app
from tradewind.signals import signals_for_bars
from universe_helpers import tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"
SOURCES = {"AAA/USD": "synthetic:planted?bars=900&seed=1&timeframe=1h",
           "BBB/USD": "synthetic:planted?bars=800&seed=2&timeframe=1h"}
OTHER = {"AAA/USD": "BBB/USD", "BBB/USD": "AAA/USD"}
TRADE = {"trade": True, "threshold": 0.0}


def _experiment() -> Experiment:
    return validate_section(Experiment, tiny_universe(SOURCES), "test")


@pytest.fixture(scope="module")
def universe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle folder of a small pooled run over two symbols."""
    out = tmp_path_factory.mktemp("universe") / "run"
    result = run_experiment(_experiment(), out_dir=out, progress=False, html=False)
    assert (result.bundle_path / UNIVERSE_INDEX).is_file()
    return result.bundle_path


@pytest.fixture(scope="module")
def candles() -> dict[str, pd.DataFrame]:
    return {name: load(source) for name, source in SOURCES.items()}


@pytest.fixture(scope="module")
def client(universe_dir: Path) -> Iterator[httpx.Client]:
    settings = ServeSettings(model=str(universe_dir), port=0, poll_seconds=0, allow_refused=True)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def _payload(symbol: str, frame: pd.DataFrame) -> dict[str, Any]:
    return {"symbol": symbol, "candles": {
        "timestamp": [ts.isoformat() for ts in frame.index],
        **{k: frame[k].astype(float).tolist() for k in ("open", "high", "low", "close", "volume")}}}


def _script(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def test_script_server_and_batch_give_each_symbol_the_same_signal(
    universe_dir: Path, candles: dict[str, pd.DataFrame], client: httpx.Client
) -> None:
    universe = load_universe(universe_dir)
    for symbol, source in SOURCES.items():
        done = _script("signal", str(universe_dir), "--data", source, "--symbol", symbol,
                       "--allow-refused")
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        reply = client.post("/v1/signal", json=_payload(symbol, candles[symbol]))
        assert reply.status_code == 200, reply.text
        served = reply.json()
        batch = signals_for_bars(universe.bundle(symbol), candles[symbol], symbol=symbol)[-1]
        expected = json.loads(batch.model_dump_json())
        for answer in (printed, served):
            assert answer["symbol"] == symbol
            assert answer["timestamp"] == expected["timestamp"]
            assert answer["direction"] == expected["direction"]
            assert answer["probabilities"] == expected["probabilities"]
            assert answer["bundle_fingerprint"] == expected["bundle_fingerprint"]


def test_each_symbol_is_answered_by_its_own_bundle(
    universe_dir: Path, candles: dict[str, pd.DataFrame], client: httpx.Client
) -> None:
    """Pooled weights, each symbol's normaliser: another symbol's bundle gives other
    probabilities on the same candles, and the server answers with the one asked for."""
    universe = load_universe(universe_dir)
    for symbol, other in OTHER.items():
        frame = candles[symbol]
        own = signals_for_bars(universe.bundle(symbol), frame, symbol=symbol)[-1]
        foreign = signals_for_bars(universe.bundle(other), frame, symbol=other)[-1]
        assert own.probabilities != foreign.probabilities
        as_other = client.post("/v1/signal", json=_payload(other, frame))
        assert as_other.status_code == 200, as_other.text
        assert as_other.json()["probabilities"] == json.loads(
            foreign.model_dump_json())["probabilities"]


def test_an_unknown_or_missing_symbol_is_refused_by_name(
    universe_dir: Path, candles: dict[str, pd.DataFrame], client: httpx.Client
) -> None:
    source = SOURCES["AAA/USD"]
    unknown = _script("signal", str(universe_dir), "--data", source, "--symbol", "ZZZ/USD",
                      "--allow-refused")
    assert unknown.returncode == BundleError.exit_code, unknown.stderr
    assert "not 'ZZZ/USD'" in unknown.stderr and "AAA/USD, BBB/USD" in unknown.stderr
    missing = _script("signal", str(universe_dir), "--data", source, "--allow-refused")
    assert missing.returncode == ConfigError.exit_code, missing.stderr
    assert "choose one with --symbol" in missing.stderr and "AAA/USD, BBB/USD" in missing.stderr
    assert "Traceback" not in unknown.stderr + missing.stderr

    reply = client.post("/v1/signal", json=_payload("ZZZ/USD", candles["AAA/USD"]))
    assert reply.status_code == 422, reply.text
    (detail,) = reply.json()["detail"]
    assert detail["loc"] == ["body", "symbol"]
    assert "'ZZZ/USD' is not served" in detail["msg"] and "AAA/USD, BBB/USD" in detail["msg"]
    window = [[0.0] * len(universe_bundle_features(universe_dir))] * 4
    no_symbol = client.post("/v1/predict", json={"features": window})
    assert no_symbol.status_code == 422, no_symbol.text
    assert "say whose data this is with 'symbol'" in no_symbol.json()["detail"][0]["msg"]
    with_symbol = client.post("/v1/predict", json={"features": window, "symbol": "BBB/USD"})
    assert with_symbol.status_code == 200, with_symbol.text


def universe_bundle_features(universe_dir: Path) -> list[str]:
    return load_universe(universe_dir).bundle("AAA/USD").manifest.feature_names


def test_models_lists_the_symbols_served(client: httpx.Client, universe_dir: Path) -> None:
    first = client.get("/v1/models").json()
    assert first["symbols"] == ["AAA/USD", "BBB/USD"] and first["symbol"] == "AAA/USD"
    assert first["refused_symbols"] == []
    other = client.get("/v1/models", params={"symbol": "BBB/USD"}).json()
    assert other["symbol"] == "BBB/USD"
    assert other["fingerprint"] != first["fingerprint"]
    assert other["source"] == str((universe_dir / "BBB-USD").resolve())
    bad = client.get("/v1/models", params={"symbol": "ZZZ/USD"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "symbol"]
    assert client.get("/healthz").json()["symbols"] == ["AAA/USD", "BBB/USD"]
    metrics = client.get("/metrics").text
    for info in (first, other):
        assert (f'tradewind_model_info{{fingerprint="{info["fingerprint"]}",name="{info["name"]}",'
                f'symbol="{info["symbol"]}",version=""}} 1.0') in metrics


def test_backtest_trades_the_symbols_own_bundle(universe_dir: Path, tmp_path: Path) -> None:
    symbol, start = "BBB/USD", "2020-01-25"
    done = _script("backtest", str(universe_dir), "--data", SOURCES[symbol], "--symbol", symbol,
                   "--from", start, "--allow-in-sample", "--out", str(tmp_path / "bt"))
    assert done.returncode == 0, done.stderr
    stats = json.loads((tmp_path / "bt" / "stats.json").read_text())
    own = backtest_bundle(bundle_for(universe_dir, symbol), load(SOURCES[symbol]), start=start,
                          allow_in_sample=True, config=BacktestSpec().costs())
    assert stats["n_trades"] == own.stats.n_trades
    assert stats["total_return"] == pytest.approx(own.stats.total_return, rel=1e-12)
    missing = _script("backtest", str(universe_dir), "--data", SOURCES[symbol], "--out",
                      str(tmp_path / "bt2"))
    assert missing.returncode == ConfigError.exit_code, missing.stderr
    assert "AAA/USD, BBB/USD" in missing.stderr


def test_bundle_for_picks_refuses_and_passes_plain_bundles_through(
    universe_dir: Path, tmp_path: Path
) -> None:
    assert bundle_for(universe_dir, "BBB/USD").path == universe_dir / "BBB-USD"
    with pytest.raises(ConfigError, match=r"bundle of 2 symbols \(AAA/USD, BBB/USD\)"):
        bundle_for(universe_dir)
    with pytest.raises(BundleError, match=r"trained on AAA/USD, BBB/USD, not 'ZZZ/USD'"):
        bundle_for(universe_dir, "ZZZ/USD")
    plain = bundle_for(universe_dir / "AAA-USD", "anything")  # a single bundle, as before
    assert plain.manifest.data["symbol"] == "AAA/USD"
    one = tmp_path / "one"
    one.mkdir()
    shutil.copytree(universe_dir / "AAA-USD", one / "AAA-USD")
    (one / UNIVERSE_INDEX).write_text(json.dumps(
        {**json.loads((universe_dir / UNIVERSE_INDEX).read_text()),
         "symbols": {"AAA/USD": "AAA-USD"}}))
    assert bundle_for(one).manifest.data["symbol"] == "AAA/USD"  # one symbol: no --symbol needed


def _with_gate(universe_dir: Path, tmp_path: Path, passed: dict[str, bool]) -> Path:
    """A copy of the universe whose symbols' gate verdicts are ``passed``."""
    copy = tmp_path / "gated"
    shutil.copytree(universe_dir, copy)
    for symbol, ok in passed.items():
        folder = copy / symbol.replace("/", "-")
        bundle = load_bundle(folder)
        bundle.manifest.gate = {**bundle.manifest.gate, "passed": ok}
        save_bundle(folder, bundle.model, bundle.manifest)
    return copy


def test_the_server_serves_the_symbols_their_gate_admits(universe_dir: Path,
                                                         tmp_path: Path) -> None:
    gated = _with_gate(universe_dir, tmp_path, {"AAA/USD": True, "BBB/USD": False})
    settings = ServeSettings(model=str(gated), port=0, poll_seconds=0)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=60) as test:
        info = test.get("/v1/models").json()
        assert info["symbols"] == ["AAA/USD"] and info["refused_symbols"] == ["BBB/USD"]
        frame = load(SOURCES["BBB/USD"])
        refused = test.post("/v1/signal", json=_payload("BBB/USD", frame))
        assert refused.status_code == 422
        assert "refused by its gate and is not served" in refused.json()["detail"][0]["msg"]
        ok = test.post("/v1/signal", json=_payload("AAA/USD", frame))
        assert ok.status_code == 200 and ok.json()["gate_passed"] is True
    none = _with_gate(universe_dir, tmp_path / "none", {"AAA/USD": False, "BBB/USD": False})
    with pytest.raises(GateRefused, match="none of the 2 symbols"):
        create_app(ServeSettings(model=str(none), poll_seconds=0))
    with pytest.raises(ConfigError, match="name the one to monitor"):
        create_app(ServeSettings(model=str(gated), poll_seconds=0, allow_refused=True,
                                 monitor_log=tmp_path / "signals.sqlite"))


def test_a_universe_is_signed_whole_and_verified_per_symbol(universe_dir: Path,
                                                            tmp_path: Path) -> None:
    private, public = new_keypair(tmp_path / "keys" / "tw")
    damaged = tmp_path / "damaged"
    shutil.copytree(universe_dir, damaged)
    with (damaged / "BBB-USD" / WEIGHTS).open("ab") as weights:
        weights.write(b"\0")
    refused = _script("sign", str(damaged), "--key", str(private))
    assert refused.returncode == BundleError.exit_code, refused.stderr
    assert "BBB-USD" in refused.stderr and "Traceback" not in refused.stderr
    assert not list(damaged.rglob(SIGNATURE))  # AAA/USD was not signed either

    signed = tmp_path / "signed"
    shutil.copytree(universe_dir, signed)
    done = _script("sign", str(signed), "--key", str(private))
    assert done.returncode == 0, done.stderr
    assert "signed AAA/USD" in done.stdout and "signed BBB/USD" in done.stdout
    assert sorted(p.parent.name for p in signed.rglob(SIGNATURE)) == ["AAA-USD", "BBB-USD"]
    app = create_app(ServeSettings(model=str(signed), poll_seconds=0, allow_refused=True,
                                   require_signed=public))
    assert app.state.holder.symbols == ["AAA/USD", "BBB/USD"]

    folder = signed / "BBB-USD"  # altered after signing, checksums redone
    bundle = load_bundle(folder)
    bundle.manifest.gate = {**bundle.manifest.gate, "passed": True}
    save_bundle(folder, bundle.model, bundle.manifest)
    (folder / SIGNATURE).write_text((signed / "AAA-USD" / SIGNATURE).read_text())
    with pytest.raises(SignatureError, match="BBB-USD"):
        create_app(ServeSettings(model=str(signed), poll_seconds=0, allow_refused=True,
                                 require_signed=public))


def test_a_universe_exports_each_symbol_through_the_installed_script(
    universe_dir: Path, candles: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """One ONNX graph per symbol (its own normaliser and temperature folded in; checked
    against PyTorch on export) and an index a client picks the symbol's graph from."""
    import onnxruntime as ort

    out = tmp_path / "export"
    done = _script("export", str(universe_dir), "--out", str(out))
    assert done.returncode == 0, done.stderr
    index = json.loads((out / UNIVERSE_INDEX).read_text())
    assert index["symbols"] == {"AAA/USD": "AAA-USD", "BBB/USD": "BBB-USD"}
    assert index["mode"] == "pooled"
    universe = load_universe(universe_dir)
    for symbol, folder in index["symbols"].items():
        manifest = json.loads((out / folder / "manifest.json").read_text())
        assert manifest["data"]["symbol"] == symbol
        bundle = universe.bundle(symbol)
        features = bundle.features(candles[symbol]).frame.to_numpy(dtype="float32")
        window = features[-bundle.lookback:][None]
        session = ort.InferenceSession(str(out / folder / "model.onnx"))
        (graph,) = session.run(["probabilities"], {"features": window})
        want = bundle.predict_proba(candles[symbol], last_only=True).to_numpy()[-1]
        assert graph[0] == pytest.approx(want, abs=1e-5)

    one = tmp_path / "one"
    only = _script("export", str(universe_dir), "--symbol", "BBB/USD", "--format", "json",
                   "--out", str(one))
    assert only.returncode == 0, only.stderr
    assert json.loads((one / UNIVERSE_INDEX).read_text())["symbols"] == {"BBB/USD": "BBB-USD"}
    assert sorted(p.name for p in one.iterdir()) == ["BBB-USD", UNIVERSE_INDEX]
    unknown = _script("export", str(universe_dir), "--symbol", "ZZZ/USD", "--out",
                      str(tmp_path / "none"))
    assert unknown.returncode == BundleError.exit_code, unknown.stderr
    assert "not 'ZZZ/USD'" in unknown.stderr and not (tmp_path / "none").exists()
    plain = _script("export", str(universe_dir / "AAA-USD"), "--symbol", "AAA/USD", "--out",
                    str(tmp_path / "plain"))
    assert plain.returncode == ConfigError.exit_code, plain.stderr
    assert "leave --symbol out" in plain.stderr


def test_several_symbols_backtest_as_an_equal_risk_portfolio(universe_dir: Path,
                                                             tmp_path: Path) -> None:
    """`backtest BUNDLE --data A=... --data B=...`: each symbol traded by its own bundle (the
    same trades as its one-symbol backtest), held at weights inverse to its volatility
    before the first traded bar, with the portfolio's Sharpe interval. The tiny models'
    fitted policies never trade, so every signal is traded (policy overrides)."""
    start, out = "2020-01-25", tmp_path / "bt"
    done = _script("backtest", str(universe_dir), *[
        a for symbol, source in SOURCES.items() for a in ("--data", f"{symbol}={source}")],
        "--from", start, "--allow-in-sample", "--out", str(out), *[
            a for key in TRADE for a in ("--set", f"policy.{key}={TRADE[key]}")])
    assert done.returncode == 0, done.stderr
    assert "portfolio" in done.stdout and "trading edge" in done.stdout
    portfolio = json.loads((out / "portfolio.json").read_text())
    inverse = {}
    for symbol, source in SOURCES.items():
        candles = load(source)
        bundle = bundle_for(universe_dir, symbol)
        own = backtest_bundle(bundle, candles, start=start, allow_in_sample=True,
                              config=BacktestSpec().costs(),
                              policy=bundle.policy.with_overrides(TRADE))
        assert own.stats.n_trades > 0
        stats = json.loads((out / symbol.replace("/", "-") / "stats.json").read_text())
        assert stats["n_trades"] == own.stats.n_trades == portfolio["symbols"][symbol]["n_trades"]
        close = candles["close"].loc[:own.start].to_numpy()[:-1]
        inverse[symbol] = 1.0 / np.std(close[1:] / close[:-1] - 1.0)
    total = sum(inverse.values())
    assert portfolio["weights"] == pytest.approx({s: v / total for s, v in inverse.items()})
    assert portfolio["n_trades"] == sum(v["n_trades"] for v in portfolio["symbols"].values())
    assert portfolio["sharpe_ci_low"] <= portfolio["sharpe"] <= portfolio["sharpe_ci_high"]
    assert portfolio["in_sample_bars"]["AAA/USD"] > 0

    unknown = _script("backtest", str(universe_dir), "--data", f"ZZZ/USD={SOURCES['AAA/USD']}",
                      "--data", f"AAA/USD={SOURCES['AAA/USD']}", "--out", str(tmp_path / "x"))
    assert unknown.returncode == ConfigError.exit_code, unknown.stderr
    assert "AAA/USD, BBB/USD" in unknown.stderr and not (tmp_path / "x").exists()
