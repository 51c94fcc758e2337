"""What data validation found about a run's candles reaches report.json and report.html."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_helpers import small_experiment

from tradewind.data import load
from tradewind.pipeline.experiment import run_experiment
from tradewind.pipeline.reporting import data_findings


def test_load_findings_become_report_findings() -> None:
    candles = load("sample:eurusd-1h")
    found = {f.code: f for f in data_findings(candles.attrs["validation"])}
    assert {"gaps", "naive_timezone"} <= found.keys()
    assert found["gaps"].level == "warning"
    assert found["gaps"].message.startswith("gaps (warning): 2063 missing bar(s), first at")


def test_a_run_on_candles_with_a_700_bar_gap_reports_it(tmp_path: Path) -> None:
    candles = load("synthetic:planted?bars=3200&seed=5&timeframe=1h")
    gapped = candles.drop(candles.index[1500:2200])
    path = tmp_path / "gapped.parquet"
    gapped.to_parquet(path)
    exp = small_experiment(str(path), training={"epochs": 2},
                           backtest={"enabled": False}, gate={"min_sharpe_lower": None},
                           importance={"enabled": False})
    result = run_experiment(exp, out_dir=tmp_path / "out", progress=False)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    (gap,) = [f for f in report["data"]["findings"] if f["code"] == "gaps"]
    assert gap["level"] == "warning"
    assert "700 missing 1h bar(s) in 1 gap(s)" in gap["message"]
    assert result.report.data.findings[0].code == "gaps"
    page = (tmp_path / "out" / "report.html").read_text()
    assert "700 missing 1h bar(s) in 1 gap(s)" in page
