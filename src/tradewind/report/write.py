"""Write ``report.json`` and ``report.html`` atomically, and read ``report.json`` back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tradewind.data.atomic import write_text_atomic
from tradewind.exceptions import DataError
from tradewind.report.schema import ExperimentReport, plain
from tradewind.report.sections import render_html

__all__ = ["load_report", "render_report_html", "write_report"]

JSON_NAME = "report.json"
HTML_NAME = "report.html"


def _validated(report: ExperimentReport | Mapping[str, Any]) -> ExperimentReport:
    """Validate (again): a ``model_copy(update=...)`` skips validation, a write must not."""
    data = report.model_dump(mode="python", warnings=False) if isinstance(
        report, ExperimentReport) else dict(report)
    return ExperimentReport.model_validate(data)


def write_report(
    report: ExperimentReport | Mapping[str, Any], out_dir: Path, *, html: bool = True
) -> tuple[Path, Path | None]:
    """Write ``out_dir/report.json`` and a self-contained ``out_dir/report.html``.

    Parameters
    ----------
    report
        The report, or a dict of the same shape (validated against
        :class:`~tradewind.report.schema.ExperimentReport` either way).
    out_dir
        Directory to write into; created if missing. Existing reports are replaced
        atomically.
    html
        Draw ``report.html`` too (about two seconds of charts). When False, a
        ``report.html`` left by an earlier write is removed, since it would contradict
        the new ``report.json``; :func:`render_report_html` draws it later.

    Returns
    -------
    (json_path, html_path), html_path None when ``html`` is False.
    """
    checked = _validated(report)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = plain(checked.model_dump(mode="json"))
    json_text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    json_path, html_path = out_dir / JSON_NAME, out_dir / HTML_NAME
    write_text_atomic(json_path, json_text)
    if not html:
        html_path.unlink(missing_ok=True)
        return json_path, None
    write_text_atomic(html_path, render_html(checked))
    return json_path, html_path


def render_report_html(path: Path) -> Path:
    """Draw ``report.html`` beside an existing ``report.json`` (or in the directory holding
    one), e.g. for a sweep trial that skipped it; returns the HTML path."""
    path = Path(path)
    report = load_report(path)
    html_path = (path if path.is_dir() else path.parent) / HTML_NAME
    write_text_atomic(html_path, render_html(report))
    return html_path


def load_report(path: Path) -> ExperimentReport:
    """Read and validate a ``report.json`` (or the directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / JSON_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise DataError(f"no report at {path}: run the experiment first, or pass the "
                        f"directory holding {JSON_NAME}") from err
    except json.JSONDecodeError as err:
        raise DataError(f"{path} is not valid JSON (line {err.lineno}, column {err.colno}): "
                        f"{err.msg}; re-run the experiment to rewrite it") from err
    try:
        return ExperimentReport.model_validate(raw)
    except ValidationError as err:
        raise DataError(f"{path} does not match the report schema: {err}") from err
