"""`tradewind presets list`: every preset validated, its last measured verdict shown."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradewind.cli import app
from tradewind.presets import list_presets

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_lists_every_preset_with_its_seed_and_measured_verdict(tmp_path: Path) -> None:
    report = tmp_path / "crpbot_fnn_v7" / "report.json"
    report.parent.mkdir()
    report.write_text(json.dumps({"oos": {"mcc": 0.041, "mcc_ci": [0.014, 0.070]},
                                  "gate": {"passed": False}}))
    presets = {p.path.stem: p for p in list_presets(REPO / "presets", tmp_path)}
    assert set(presets) == {p.stem for p in (REPO / "presets").glob("*.yaml")}
    assert presets["crpbot_fnn_v7"].measured == "REFUSED, MCC +0.041 [+0.014, +0.070]"
    assert presets["xlstm_v3"].measured is None
    assert presets["goldenbreeze_v4_lite"].teacher == "lstm"
    assert all(p.title.startswith("seed 00") for p in presets.values())

    result = runner.invoke(app, ["presets", "list", "--dir", str(REPO / "presets"), "--runs",
                                 str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "REFUSED, MCC +0.041" in result.output and "goldenbreeze_v4_lite" in result.output

    result = runner.invoke(app, ["presets", "list", "--dir", str(REPO / "presets"), "--runs",
                                 str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)}
    assert set(listed) == set(presets)
    assert listed["crpbot_fnn_v7"]["measured"] == "REFUSED, MCC +0.041 [+0.014, +0.070]"
    assert listed["goldenbreeze_v4_lite"]["teacher"] == "lstm"


def test_a_broken_preset_is_named(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("# Preset: nothing\nmodel:\n  name: lstm\n  hiden: 3\n")
    result = runner.invoke(app, ["presets", "list", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "broken.yaml" in str(result.exception) + result.output
    assert "model.lstm.hiden" in str(result.exception) + result.output


def test_missing_directory_says_where_to_run_from(tmp_path: Path) -> None:
    result = runner.invoke(app, ["presets", "list", "--dir", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "repository root" in str(result.exception) + result.output
