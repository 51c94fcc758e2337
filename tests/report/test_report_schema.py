"""The report schema: what it accepts, what it refuses, and its Markdown field table."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from tradewind.report import ExperimentReport, schema_markdown

REQUIRED_OOS = {"mcc", "mcc_ci", "accuracy", "accuracy_ci", "balanced_accuracy", "macro_f1",
                "log_loss", "brier", "ece", "adaptive_ece", "roc_auc", "per_class", "confusion",
                "pred_shares", "label_shares", "n_rows", "classes"}


def _broken(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return data


def test_realistic_report_validates(report_dict: dict[str, Any]) -> None:
    report = ExperimentReport.model_validate(report_dict)
    assert report.oos.classes == ["DOWN", "UP"]
    assert report.oos.mcc_ci[0] <= report.oos.mcc <= report.oos.mcc_ci[1]
    assert report.experiment.config["lookback"] == 48 and type(report.experiment.config["lookback"]) is int
    assert report.data.first.utcoffset().total_seconds() == 0
    assert report.gate.passed and report.gate.failing == []
    assert set(type(report.oos).model_fields) >= REQUIRED_OOS


def test_sections_read_like_the_json(report_dict: dict[str, Any]) -> None:
    report = ExperimentReport.model_validate(report_dict)
    assert report.oos["mcc"] == report.oos.mcc
    assert report.gate["checks"][0]["name"] == "mcc_ci_low"
    assert report.baselines["majority"]["mcc_diff_ci"] == report.baselines["majority"].mcc_diff_ci
    with pytest.raises(KeyError, match="no field 'mmc'"):
        report.oos["mmc"]


@pytest.mark.parametrize(("path", "value", "message"), [
    ("surprise", 1, "surprise"),
    ("oos.mcc_low", 0.1, "mcc_low"),
    ("oos.mcc_ci", [0.2, 0.1], "lo > hi"),
    ("oos.confusion", [[1, 2, 3], [4, 5, 6]], "must be 2x2"),
    ("oos.pred_shares", {"DOWN": 1.0}, "missing \\['UP'\\]"),
    ("gate.passed", False, "every check passed"),
    ("data.first", "2024-01-01T00:00:00", "no time zone"),
    ("share_over_time.0.pred_shares", {"SIDEWAYS": 1.0}, "SIDEWAYS"),
    ("folds.0.history.0.val_acc", 0.5, "val_acc"),
])
def test_schema_refuses(report_dict: dict[str, Any], path: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ExperimentReport.model_validate(_broken(report_dict, path, value))


def test_gate_that_passes_with_a_failed_check_is_refused(refused_dict: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="passed is true but checks failed: mcc_ci_low"):
        ExperimentReport.model_validate(_broken(refused_dict, "gate.passed", True))


def test_undefined_metrics_become_null_and_optional_sections_may_be_absent(
    report_dict: dict[str, Any],
) -> None:
    data = _broken(report_dict, "oos.roc_auc", float("nan"))
    data["oos"]["log_loss"] = np.float32(np.inf)
    for key in ("calibration", "backtest", "registry", "share_over_time", "diagnostics"):
        data.pop(key)
    data["backtest"] = {"sharpe": np.float64("nan"), "equity": np.array([1.0, 1.1])}
    report = ExperimentReport.model_validate(data)
    assert report.oos.roc_auc is None and report.oos.log_loss is None
    assert report.calibration is None and report.registry is None
    assert report.backtest == {"sharpe": None, "equity": [1.0, 1.1]}
    assert report.share_over_time == [] and report.diagnostics.findings == []
    dumped = report.model_dump(mode="json")
    assert dumped["oos"]["roc_auc"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in dumped["oos"].values())


def test_schema_markdown_documents_every_field() -> None:
    text = schema_markdown()
    assert text.startswith("# report.json schema")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    paths = {line.split("`")[1] for line in rows}
    assert set(ExperimentReport.model_fields) <= paths
    for path in ("oos.mcc_ci", "baselines.<name>.mcc_diff_ci", "gate.checks[].threshold",
                 "folds[].history[].mean_max_prob", "calibration.reliability_after[].count",
                 "share_over_time[].label_shares", "registry.run_id"):
        assert path in paths, path
    assert all(line.count(" | ") >= 3 and not line.endswith("|  |") for line in rows)


def test_reports_from_before_extras_was_retired_still_load(report_dict: dict[str, Any]) -> None:
    data = json.loads(ExperimentReport.model_validate(report_dict).model_dump_json())
    assert "extras" not in data
    assert ExperimentReport.model_validate({**data, "extras": None}).model_dump(mode="json") == data
    with pytest.raises(ValueError, match="extras"):
        ExperimentReport.model_validate({**data, "extras": {"x": 1}})
