"""Write ``monitor.json`` (the typed :class:`MonitorResult`) and ``monitor.html`` atomically.

The page has the run report's look (:mod:`tradewind.report.html`): a verdict banner, the
realised-vs-promised table with intervals, a reliability chart, rolling metric charts,
drift per feature and the predicted-class shares.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from tradewind.data.atomic import write_text_atomic
from tradewind.exceptions import DataError
from tradewind.monitor.charts import drift_png, rolling_png
from tradewind.monitor.result import MonitorResult
from tradewind.report.charts import reliability_png
from tradewind.report.html import ci, esc, img, num, page, table
from tradewind.report.schema import ReliabilityBin

__all__ = ["HTML_NAME", "JSON_NAME", "load_monitor", "render_monitor_html", "write_monitor"]

JSON_NAME = "monitor.json"
HTML_NAME = "monitor.html"


def write_monitor(result: MonitorResult, out_dir: str | Path, *, html: bool = True
                  ) -> tuple[Path, Path | None]:
    """Write ``out_dir/monitor.json`` and (with ``html``) ``out_dir/monitor.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.model_dump(mode="json"), indent=2, allow_nan=False) + "\n"
    json_path = write_text_atomic(out / JSON_NAME, text)
    if not html:
        return json_path, None
    return json_path, write_text_atomic(out / HTML_NAME, render_monitor_html(result))


def load_monitor(path: str | Path) -> MonitorResult:
    """Read and validate a ``monitor.json`` (or the folder holding one)."""
    file = Path(path)
    if file.is_dir():
        file = file / JSON_NAME
    try:
        return MonitorResult.model_validate_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"no {JSON_NAME} at {file}: run `tradewind monitor LOG --out DIR`") from None
    except ValidationError as err:
        raise DataError(f"{file} does not match the monitor schema: {err}") from None


def _banner(result: MonitorResult) -> str:
    breaches = [b for b in result.breaches if b.level == "breach"]
    cls = "refused" if breaches else "passed"
    word = f"{len(breaches)} BREACH(ES)" if breaches else "NO BREACH"
    items = "".join(f"<li>{esc(b.reason)}</li>" for b in result.breaches)
    return (f'<div class="banner {cls}"><b>{esc(word)}</b>{esc(result.model.name)} on '
            f"{esc(result.symbol)} {esc(result.timeframe)}<ul>{items}</ul></div>")


def _summary(result: MonitorResult) -> str:
    meta = (f'<p class="meta">log {esc(result.log)} · model digest {esc(result.model.digest[:16])}'
            f" · {result.signals:,} signals, {result.resolved:,} resolved · as of "
            f"{esc(result.as_of or '—')} · window {result.settings.window} resolved signals</p>")
    rows = [(c.name, f"{num(c.value)} {ci(c.ci)}".strip(),
             f"{num(c.promised)} {ci(c.promised_ci)}".strip(), (c.status, _css(c.status)), c.note)
            for c in result.checks]
    return _banner(result) + meta + table(["metric", "realised", "promised", "status", "note"],
                                          rows)


def _css(status: str) -> str:
    return {"ok": "pass", "breach": "fail"}.get(status, "")


def _reliability(result: MonitorResult) -> str:
    if result.current is None or not result.current.reliability:
        return "<p>No resolved signals yet.</p>"
    bins = [ReliabilityBin(**b) for b in result.current.reliability]
    promised = None if result.promises is None else result.promises.ece
    return (f"<p>ECE realised {num(result.current.ece.value)} {ci(result.current.ece.ci)}, "
            f"promised {num(promised)}.</p>" + img(reliability_png(
                [], bins, None, result.current.ece.value, len(result.model.classes)),
                "reliability of the newest window"))


def _rolling(result: MonitorResult) -> str:
    if len(result.rolling) < 2:
        return "<p>Too few resolved signals for rolling windows.</p>"
    rows = [(w.last, w.signals, f"{num(w.mcc.value, signed=True)} {ci(w.mcc.ci, signed=True)}",
             f"{num(w.accuracy.value)} {ci(w.accuracy.ci)}",
             f"{num(w.return_per_trade_bp.value, signed=True)} "
             f"{ci(w.return_per_trade_bp.ci, signed=True)}", w.trades,
             num(w.cumulative_return.value, signed=True), num(w.max_drawdown.value))
            for w in result.rolling]
    return img(rolling_png(result.rolling, result.promises), "rolling realised metrics") + table(
        ["last bar", "signals", "MCC", "accuracy", "bp per trade", "trades", "cumulative",
         "drawdown"], rows)


def _drift(result: MonitorResult) -> str:
    drift = result.drift
    if not drift.available:
        return f'<p class="note">Drift unavailable: {esc(drift.reason)}</p>'
    rows = [(f.feature, f.psi, f.ks, f.rows, (f.status, _css(f.status))) for f in drift.features]
    return (f"<p>{drift.rows:,} signal bars, {esc(drift.first)} → {esc(drift.last)}.</p>"
            + img(drift_png(drift.features, result.settings.psi_warn, result.settings.psi_breach),
                  "PSI per feature") + table(["feature", "PSI", "KS", "rows", "status"], rows))


def _shares(result: MonitorResult) -> str:
    s = result.shares
    rows = [(c, s.recent.get(c), None if s.training is None else s.training.get(c),
             None if s.validation is None else s.validation.get(c),
             None if s.promised is None else s.promised.get(c)) for c in result.model.classes]
    return (f"<p>Newest {s.signals:,} signals; PSI against training {num(s.psi)} "
            f"({esc(s.status)}).</p>"
            + table(["class", "recent", "training", "validation", "out of sample"], rows))


def render_monitor_html(result: MonitorResult) -> str:
    """The self-contained ``monitor.html`` page."""
    return page(f"tradewind monitor: {result.model.name} {result.symbol} {result.timeframe}", [
        ("summary", "Realised vs promised", _summary(result)),
        ("reliability", "Calibration", _reliability(result)),
        ("rolling", "Rolling windows", _rolling(result)),
        ("drift", "Feature drift", _drift(result)),
        ("shares", "Predicted-class shares", _shares(result)),
    ])
