"""write_report: valid report.json, a self-contained report.html, atomic writes."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tradewind.data import atomic as atomic_module
from tradewind.exceptions import DataError
from tradewind.report import (
    SECTION_IDS,
    ExperimentReport,
    load_report,
    render_report_html,
    write_report,
)
from tradewind.report import write as write_module
from tradewind.report.html import page
from tradewind.report.sections import baselines, diagnostics, gate, headline

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMG = re.compile(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def written(refused_dict: dict[str, Any], tmp_path_factory: pytest.TempPathFactory):
    """The refused report with every optional section, written once for the module."""
    out = tmp_path_factory.mktemp("report")
    report = ExperimentReport.model_validate(refused_dict)
    json_path, html_path = write_report(report, out)
    return report, out, json_path, html_path, html_path.read_text(encoding="utf-8")


def test_writes_both_files_and_nothing_else(written) -> None:
    _report, out, json_path, html_path, _html = written
    assert (json_path, html_path) == (out / "report.json", out / "report.html")
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
    assert all(os.stat(p).st_mode & 0o044 == 0o044 for p in (json_path, html_path))


def test_json_is_strict_and_round_trips(written) -> None:
    report, _out, json_path, _html_path, _html = written
    raw = json.loads(json_path.read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    for key in ("schema_version", "tradewind_version", "created_at", "experiment", "data", "oos",
                "baselines", "diagnostics", "gate", "folds", "calibration", "share_over_time",
                "backtest", "bundle", "registry"):
        assert key in raw, key
    assert raw["oos"]["mcc_ci"] == list(report.oos.mcc_ci)
    assert raw["gate"]["passed"] is False
    assert raw["created_at"].endswith("Z")
    assert load_report(json_path) == report
    assert load_report(json_path.parent) == report


def test_html_has_every_section_and_only_png_images(written) -> None:
    *_, html = written
    for section_id in (*SECTION_IDS, "backtest"):
        assert f'<section id="{section_id}">' in html, section_id
    images = IMG.findall(html)
    # baselines, folds, reliability, confusion, shares, training, equity
    assert len(images) == html.count("<img ") == 7
    for data in images:
        png = base64.b64decode(data, validate=True)
        assert png.startswith(PNG_SIGNATURE) and len(png) > 5_000
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html


def test_refused_verdict_names_failing_checks(written) -> None:
    *_, html = written
    head = html.split('<section id="headline">')[1].split("</section>")[0]
    assert '<div class="banner refused"><b>REFUSED</b>' in head
    assert "mcc_ci_low" in head and "beats_best_baseline" in head
    assert "ece:" not in head  # the passing check is not listed as failing
    gate = html.split('<section id="gate">')[1].split("</section>")[0]
    assert gate.count('class="fail">FAIL') == 2 and gate.count('class="pass">pass') == 1


def test_numbers_come_with_their_intervals(written) -> None:
    report, *_, html = written
    lo, hi = report.oos.mcc_ci
    assert f"{report.oos.mcc:+.3f} [{lo:+.3f}, {hi:+.3f}]" in html
    diff = report.baselines["persistence"].mcc_diff_ci
    assert f"[{diff[0]:+.3f}, {diff[1]:+.3f}]" in html


def test_passed_verdict_and_best_baseline_highlighted(report_dict: dict[str, Any]) -> None:
    report = ExperimentReport.model_validate(report_dict)
    assert '<div class="banner passed"><b>PASSED</b>' in headline(report)
    best = max(report.baselines, key=lambda n: report.baselines[n].mcc)
    row = re.search(r'<tr class="best"><td>([^<]+)</td>', baselines(report))
    assert row is not None and row.group(1) == best


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """The report as the JSON-ready dict a runner would build."""
    return ExperimentReport.model_validate(data).model_dump(mode="json")


def test_headline_warns_about_no_skill_no_edge_and_collapse(report_dict: dict[str, Any]) -> None:
    data = _plain(report_dict)
    data["oos"] |= {"mcc": 0.004, "mcc_ci": [-0.02, 0.03],
                    "pred_shares": {"DOWN": 1.0, "UP": 0.0}}
    data["baselines"]["persistence"] |= {"mcc": 0.2, "mcc_diff_ci": [-0.21, -0.15]}
    head = headline(ExperimentReport.model_validate(data))
    assert "MCC interval [-0.020, +0.030] reaches 0 or below" in head
    assert "model − persistence MCC interval [-0.210, -0.150]" in head
    assert "predicts DOWN for 100% of out-of-sample rows" in head
    assert '<div class="note">' not in headline(ExperimentReport.model_validate(report_dict))


def test_text_is_escaped(report_dict: dict[str, Any]) -> None:
    data = _plain(report_dict)
    data["experiment"]["name"] = '<script>alert("x")</script>'
    data["diagnostics"]["findings"][0]["message"] = "logits <±158,000> & 100% DOWN"
    data["gate"]["checks"][0]["detail"] = "<b>bold</b> <i>x</i> <img src=x onerror=alert(1)>"
    report = ExperimentReport.model_validate(data)
    parts = [(sid, sid, fn(report)) for sid, fn in (("headline", headline), ("gate", gate),
                                                    ("diagnostics", diagnostics))]
    html = page(f"{report.experiment.name} report", parts)
    assert "<script" not in html and "<b>bold" not in html and "<img src=x" not in html
    assert "<i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "logits &lt;±158,000&gt; &amp; 100% DOWN" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_minimal_report_renders_without_optional_sections(report_dict: dict[str, Any],
                                                          tmp_path: Path) -> None:
    data = _plain(report_dict)
    for key in ("calibration", "backtest", "registry", "share_over_time"):
        data.pop(key)
    for fold in data["folds"]:
        fold["history"] = []
    _json_path, html_path = write_report(data, tmp_path)  # a plain dict is validated too
    html = html_path.read_text(encoding="utf-8")
    for section_id in SECTION_IDS:
        assert f'<section id="{section_id}">' in html
    assert '<section id="backtest">' not in html
    assert "No calibration was recorded" in html and "No training history" in html


def test_atomic_write_keeps_old_file_and_leaves_no_temp(report_dict: dict[str, Any], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "report.json").write_text("old")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(write_module, "render_html", lambda _report: "<html></html>")
    monkeypatch.setattr(atomic_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(ExperimentReport.model_validate(report_dict), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert (tmp_path / "report.json").read_text() == "old"


def test_json_only_write_drops_the_stale_html_and_it_can_be_drawn_later(
    report_dict: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "render_html", lambda r: f"<html>{r.gate.passed}</html>")
    report = ExperimentReport.model_validate(report_dict)
    write_report(report, tmp_path)
    assert (tmp_path / "report.html").exists()
    json_path, html_path = write_report(report, tmp_path, html=False)
    assert html_path is None and json_path == tmp_path / "report.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no stale HTML
    drawn = render_report_html(json_path)
    assert drawn == tmp_path / "report.html"
    assert drawn.read_text() == f"<html>{report.gate.passed}</html>"
    assert render_report_html(tmp_path) == drawn
    with pytest.raises(DataError, match="no report at"):
        render_report_html(tmp_path / "elsewhere")


def test_invalid_update_is_caught_at_write(report_dict: dict[str, Any], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write_module, "render_html", lambda _report: "<html></html>")
    report = ExperimentReport.model_validate(report_dict)
    broken = report.model_copy(update={"registry": {"run_id": "r1", "versio": "2"}})
    with pytest.raises(ValueError, match="versio"):
        write_report(broken, tmp_path)
    fixed = report.model_copy(update={"registry": {"run_id": "r1", "version": "2"}})
    assert load_report(write_report(fixed, tmp_path)[0]).registry.version == "2"


def test_load_report_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no report at"):
        load_report(tmp_path)
    (tmp_path / "report.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_report(tmp_path / "report.json")
    (tmp_path / "report.json").write_text('{"schema_version": "1.0"}')
    with pytest.raises(DataError, match="does not match the report schema"):
        load_report(tmp_path / "report.json")


def test_diagnostics_table_rounds_nested_values(report_dict: dict[str, Any]) -> None:
    data = _plain(report_dict)
    data["diagnostics"]["values"] = {
        "overconfident_share": 0.012345678901234567,
        "mean_logit": {"DOWN": -0.1234567890123456, "UP": 0.9876543210987654},
        "thresholds": {"max_ece": 0.03, "share_ratio": [0.5, 1.5]},
        "fold_mcc": [0.0312345678901234, -0.0212345678901234],
    }
    html = diagnostics(ExperimentReport.model_validate(data))
    assert not re.search(r"\d\.\d{6,}", html), "a 16-digit float reached the table"
    assert ">0.012<" in html and "&quot;DOWN&quot;: -0.1235" in html and "0.9877" in html
    assert "&quot;max_ece&quot;: 0.03," in html and "[0.031, -0.021]" in html
