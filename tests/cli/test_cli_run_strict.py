"""`tradewind run --strict`: exit 9 on a refused gate only when asked; intervals at the run's level.

The experiment runner is replaced by a stub returning a finished result, so these tests
check the command's own decisions (exit code, printed level) without training anything.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tradewind.cli import main
from tradewind.exceptions import GateRefused


def _check(name: str, passed: bool) -> SimpleNamespace:
    data = {"name": name, "value": 0.1, "threshold": 0.05, "passed": passed,
            "detail": f"{name} detail"}
    return SimpleNamespace(model_dump=lambda: data)


def _result(tmp_path: Path, *, passed: bool, level: float) -> SimpleNamespace:
    report = SimpleNamespace(
        oos={"mcc": 0.02, "mcc_ci": [-0.01, 0.05], "accuracy": 0.51, "n_rows": 1234,
             "ci_level": level, "ci_method": None},
        baselines={"majority": {"mcc": 0.0, "mcc_ci": [0.0, 0.0], "accuracy": 0.5,
                                "mcc_diff_ci": [-0.01, 0.05]}},
        gate=SimpleNamespace(checks=[_check("ece", passed)]),
        universe=None,
    )
    return SimpleNamespace(report=report, gate_passed=passed, bundle_path=tmp_path / "bundle",
                           registry=None, report_html=None, report_json=tmp_path / "report.json")


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text("data:\n  source: synthetic:random_walk?bars=400&seed=1\nlookback: 4\n")
    return path


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, passed: bool, level: float,
         extra: list[str]) -> int:
    import tradewind.pipeline.experiment as runner

    monkeypatch.setattr(runner, "run_experiment",
                        lambda *a, **k: _result(tmp_path, passed=passed, level=level))
    try:
        main(["run", str(tmp_path / "exp.yaml"), "--out", str(tmp_path / "out"), "-q", *extra])
    except SystemExit as done:
        return int(done.code or 0)
    raise AssertionError("main() must always exit")


@pytest.mark.parametrize(
    ("passed", "extra", "code"),
    [(False, [], 0), (False, ["--strict"], GateRefused.exit_code),
     (False, ["--fail-on-refuse"], GateRefused.exit_code), (True, ["--strict"], 0)],
)
def test_refused_gate_fails_the_run_only_with_strict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, experiment: Path, passed: bool,
    extra: list[str], code: int, capsys: pytest.CaptureFixture,
) -> None:
    assert _run(monkeypatch, tmp_path, passed=passed, level=0.95, extra=extra) == code
    assert ("gate refused the model" in capsys.readouterr().err) == (code != 0)


def test_intervals_are_labelled_with_the_run_level(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, experiment: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    assert _run(monkeypatch, tmp_path, passed=True, level=0.9, extra=[]) == 0
    out = capsys.readouterr().out
    assert "90 % block-bootstrap intervals" in out and "MCC 90% CI" in out
    assert "95 %" not in out and "95%" not in out
