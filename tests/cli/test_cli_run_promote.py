"""`tradewind run` → `models list` → `promote` against a real MLflow SQLite store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tradewind.artifacts import Registry
from tradewind.cli import main


def _main(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["tradewind", *argv])
    try:
        main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


@pytest.fixture
def refused_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    config = {
        "name": "random-walk",
        "data": {"source": "synthetic:random_walk?bars=3000&seed=2&timeframe=1h"},
        "lookback": 4,
        "split": {"n_folds": 2, "min_train": 0.5},
        "model": {"name": "lstm", "hidden_size": 8, "num_layers": 1, "bidirectional": False},
        "training": {"epochs": 2},
        "bootstrap": {"n_boot": 200},
        "registry": {"root": str(tmp_path / "runs")},
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    assert _main(monkeypatch, "run", str(path), "--out", str(out), "--quiet", "--no-html") == 0
    return path, out


def test_run_registers_a_candidate_and_promote_refuses_then_records_override(
    refused_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    config, out = refused_run
    report = json.loads((out / "report.json").read_text())
    assert report["gate"]["passed"] is False
    assert report["registry"]["version"] == "1" and report["registry"]["alias"] == "candidate"
    registry = Registry(root=Path(yaml.safe_load(config.read_text())["registry"]["root"]))
    assert registry.tracking_uri.startswith("sqlite:///")

    capsys.readouterr()
    assert _main(monkeypatch, "promote", "1", str(config)) == 9
    err = capsys.readouterr().err
    assert "refused" in err and "mcc_ci_low" in err
    assert registry.alias_version("champion") is None

    reason = "paper-trading only, to watch live drift"
    assert _main(monkeypatch, "promote", "1", str(config), "--override", reason) == 0
    assert registry.alias_version("champion") == "1"
    (row,) = registry.list_versions()
    assert row.overridden and row.gate_passed is False and "champion" in row.aliases
    tags = registry.client.get_model_version(registry.model_name, "1").tags
    assert tags["override_reason"] == reason

    assert _main(monkeypatch, "models", "list", str(config)) == 0
    listing = capsys.readouterr().out
    assert "REFUSED" in listing and "champion" in listing
    assert "version 1 refused by: " in listing and "(promoted by override)" in listing

    assert _main(monkeypatch, "models", "list", str(config), "--format", "json") == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["version"] == "1" and listed["gate_passed"] is False and listed["overridden"]
    assert "champion" in listed["aliases"] and listed["gate_failing"]
    # the older --config spelling still works
    assert _main(monkeypatch, "models", "list", "--config", str(config)) == 0


def test_no_html_run_is_drawn_later_by_tradewind_report(
    refused_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _config, out = refused_run
    assert not (out / "report.html").exists()
    capsys.readouterr()
    assert _main(monkeypatch, "report", str(out)) == 0
    assert str((out / "report.html").resolve()) in capsys.readouterr().out.replace("\n", "")
    html = (out / "report.html").read_text()
    assert '<section id="gate">' in html and "REFUSED" in html
    assert _main(monkeypatch, "report", str(out / "nowhere")) == 3
    pages = out.parent / "pages"
    assert _main(monkeypatch, "report", str(out / "report.json"), "--out", str(pages)) == 0
    assert '<section id="gate">' in (pages / "report.html").read_text()
    assert _main(monkeypatch, "report", str(out), "--out", str(pages / "b.html")) == 0
    assert (pages / "b.html").is_file()


def test_gate_judges_a_finished_run_again_without_touching_it(
    refused_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _config, out = refused_run
    before = (out / "report.json").read_bytes()
    capsys.readouterr()
    assert _main(monkeypatch, "gate", str(out), "--set", "gate.max_ece=0.0001") == 0
    printed = capsys.readouterr().out
    assert "gate.max_ece=0.0001" in printed and "REFUSED" in printed
    assert "recorded verdict of the run: REFUSED" in printed and "for reading only" in printed
    assert (out / "report.json").read_bytes() == before
    assert _main(monkeypatch, "gate", str(out), "--set", "model.hidden_size=4") == 2
    capsys.readouterr()
    assert _main(monkeypatch, "gate", str(out), "--set", "gate.max_ece=0.0001",
                 "--format", "json") == 0
    judged = json.loads(capsys.readouterr().out)
    assert judged["passed"] is False and judged["recorded_passed"] is False
    assert judged["overrides"] == {"gate.max_ece": 0.0001}
    assert any(c["name"] == "ece" and not c["passed"] for c in judged["checks"]), judged


def test_exported_bundle_has_model_and_scalers(
    refused_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _config, out = refused_run
    target = out / "export"
    assert _main(monkeypatch, "export", str(out / "bundle"), "--out", str(target)) == 0
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "model.onnx", "scalers.json"]
    scalers = json.loads((target / "scalers.json").read_text())
    assert scalers["lookback"] == 4
