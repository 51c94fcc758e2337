"""A bundle the gate refused: ``signal`` and ``live`` refuse it unless told, and every
signal carries the verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle, save_bundle
from tradewind.artifacts.verdict import admit, bundle_verdict
from tradewind.exceptions import GateRefused
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.signals import Ensemble, signal_from_bundle

SOURCE = "synthetic:planted?bars=260&seed=3&timeframe=1h"
REFUSED = {"passed": False, "checks": [
    {"name": "mcc_ci_low", "value": -0.01, "threshold": 0.0, "passed": False, "detail": "x"},
    {"name": "ece", "value": 0.01, "threshold": 0.03, "passed": True, "detail": "y"}]}
TRADEWIND = Path(sys.executable).parent / "tradewind"


def _refused(bundle: Bundle) -> Bundle:
    return Bundle(manifest=bundle.manifest.model_copy(update={"gate": REFUSED}), model=bundle.model,
                  normalizer=bundle.normalizer, side_normalizer=None, calibrator=bundle.calibrator)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


def test_the_verdict_is_read_from_the_manifest(bundle: Bundle) -> None:
    refused = bundle_verdict(_refused(bundle))
    assert (refused.gate_passed, refused.recorded, refused.failing) == (False, True, ("mcc_ci_low",))
    unknown = bundle.manifest.model_copy(update={"gate": {}})
    assert not bundle_verdict(Bundle(unknown, bundle.model, bundle.normalizer, None,
                                     bundle.calibrator)).recorded
    assert bundle_verdict(bundle).gate_passed
    with pytest.raises(GateRefused, match=r"mcc_ci_low.*--allow-refused"):
        admit(refused, allow_refused=False, what="test")
    assert admit(refused, allow_refused=True, what="test").allowed_refused
    overridden = bundle_verdict(_refused(bundle), override_reason="paper trading, AB")
    assert admit(overridden, allow_refused=False, what="test").override_reason == "paper trading, AB"
    # a passed gate needs no override: a stale reason is not carried
    assert bundle_verdict(bundle, override_reason="stale").override_reason is None


def test_signals_carry_the_verdict(bundle: Bundle, candles: pd.DataFrame) -> None:
    assert signal_from_bundle(bundle, candles, symbol="X").gate_passed is True
    assert signal_from_bundle(_refused(bundle), candles, symbol="X").gate_passed is False
    mixed = Ensemble([bundle, _refused(bundle)])
    assert mixed.verdict.failing == ("mcc_ci_low",)
    assert mixed.signal(candles, symbol="X").gate_passed is False
    assert Ensemble([bundle, bundle]).signal(candles, symbol="X").gate_passed is True


def test_the_signal_command_refuses_a_refused_bundle_unless_allowed(
    bundle: Bundle, tmp_path: Path
) -> None:
    path = save_bundle(tmp_path / "bundle", bundle.model, _refused(bundle).manifest)
    refused = _run("signal", str(path), "--data", SOURCE)
    assert refused.returncode == GateRefused.exit_code, refused.stderr
    assert "--allow-refused" in refused.stderr and "mcc_ci_low" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""
    allowed = _run("signal", str(path), "--data", SOURCE, "--allow-refused")
    assert allowed.returncode == 0, allowed.stderr
    payload = json.loads(allowed.stdout)
    assert payload["gate_passed"] is False and payload["override_reason"] is None


def test_live_refuses_a_refused_bundle_and_logs_the_verdict_when_run(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    refused = _refused(bundle)
    with SignalLog(tmp_path / "log.sqlite") as log:
        with pytest.raises(GateRefused, match="--allow-refused"):
            run_live(refused, source=ReplaySource(candles), log=log, symbol="X", timeframe="1h",
                     show=False)
        assert log.signals("X", "1h") == []
        run_live(refused, source=ReplaySource(candles), log=log, symbol="X", timeframe="1h",
                 show=False, max_bars=2, override_reason="paper trading, reviewed by AB")
        logged = log.signals("X", "1h")
    assert len(logged) == 2
    assert all(s.gate_passed is False and s.override_reason == "paper trading, reviewed by AB"
               for s in logged)
