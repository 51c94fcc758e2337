"""Through the installed script: named errors and exit codes where tracebacks used to be."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bundle_factory import make_bundle
from tradewind.artifacts.bundle import load_bundle, save_bundle
from tradewind.data import load
from tradewind.exceptions import BundleError

TRADEWIND = Path(sys.executable).parent / "tradewind"
HOURLY = "synthetic:planted?bars=800&seed=2&timeframe=1h"
DAILY = "synthetic:planted?bars=300&seed=2&timeframe=1d"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved hourly bundle trained (its normaliser fitted) on the first 600 bars."""
    candles = load(HOURLY)
    bundle = make_bundle(candles, trained_until=candles.index[599])
    return save_bundle(tmp_path_factory.mktemp("bundles") / "hourly", bundle.model,
                       bundle.manifest)


def _run(*args: str | Path, cwd: Path) -> tuple[int, str]:
    done = subprocess.run([str(TRADEWIND), *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, "".join(done.stderr.split())  # rich wraps lines, even mid-word


def _says(err: str, needle: str) -> bool:
    return "".join(needle.split()) in err


def test_backtest_from_a_date_that_is_not_one(bundle_dir: Path, tmp_path: Path) -> None:
    code, err = _run("backtest", bundle_dir, "--data", HOURLY, "--from", "notadate", "--out",
                     tmp_path / "bt", cwd=tmp_path)
    assert code == 2
    assert _says(err, "start (--from)='notadate' is not a date or time")


def test_allow_in_sample_without_from_says_what_it_needs(bundle_dir: Path,
                                                         tmp_path: Path) -> None:
    code, err = _run("backtest", bundle_dir, "--data", HOURLY, "--allow-in-sample", "--out",
                     tmp_path / "bt", cwd=tmp_path)
    assert code == 2
    assert _says(err, "needs a start (--from) inside the training period")
    assert not (tmp_path / "bt").exists()


def test_signal_on_candles_of_another_timeframe(bundle_dir: Path, tmp_path: Path) -> None:
    code, err = _run("signal", bundle_dir, "--data", DAILY, cwd=tmp_path)
    assert code == 6
    assert _says(err, "trained on 1h bars, but the candles are 1d")


def test_live_replay_with_another_timeframe(bundle_dir: Path, tmp_path: Path) -> None:
    replay = tmp_path / "daily.parquet"
    load(DAILY).to_parquet(replay)
    code, err = _run("live", "--replay", replay, "--symbol", "X", "--timeframe", "1d",
                     "--model", bundle_dir, "--log", tmp_path / "log.sqlite", "--quiet",
                     cwd=tmp_path)
    assert code == 6
    assert _says(err, "live: the model was trained on 1h bars, but the timeframe given is 1d")


def _rewrite_weights(source: Path, target: Path, payload: bytes) -> Path:
    """A copy of the bundle whose weights are ``payload`` and whose checksums fit it."""
    shutil.copytree(source, target)
    (target / "weights.safetensors").write_bytes(payload)
    lines = [f"{hashlib.sha256((target / n).read_bytes()).hexdigest()}  {n}"
             for n in ("weights.safetensors", "manifest.json")]
    (target / "checksums.sha256").write_text("\n".join(lines) + "\n")
    return target


@pytest.mark.parametrize("kind", ["pickle", "truncated"])
def test_weights_that_are_not_safetensors_are_a_bundle_error(bundle_dir: Path, tmp_path: Path,
                                                             kind: str) -> None:
    weights = (bundle_dir / "weights.safetensors").read_bytes()
    payload = (pickle.dumps({"weight": [1.0, 2.0]}) if kind == "pickle"
               else weights[: len(weights) // 2])
    broken = _rewrite_weights(bundle_dir, tmp_path / kind, payload)
    with pytest.raises(BundleError, match=r"weights\.safetensors: not a readable safetensors"):
        load_bundle(broken)
    if kind == "pickle":  # one trip through the script is enough
        code, err = _run("signal", broken, "--data", HOURLY, cwd=tmp_path)
        assert code == 8
        assert _says(err, f"{broken / 'weights.safetensors'}: not a readable safetensors file")
