"""The sections of ``report.html``, one function each, in reading order.

Each function takes the validated :class:`ExperimentReport` and returns the section body as
HTML (every piece of text escaped). :func:`render_html` strings them into the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tradewind.report import charts
from tradewind.report.html import ci, esc, img, kv_table, num, page, table, value, with_ci
from tradewind.report.schema import ExperimentReport, Finding, FoldCalibration, GateCheck

__all__ = ["SECTION_IDS", "render_html"]

SECTION_IDS = ("headline", "baselines", "gate", "metrics", "folds", "calibration", "confusion",
               "shares", "training", "diagnostics", "data")
"""Sections every report has; ``backtest``, ``importance`` and ``export`` follow when present."""


def _when(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def _check_text(check: GateCheck) -> str:
    return f"{check.name}: {value(check.value)} (threshold {value(check.threshold)})"


def _best_baseline(report: ExperimentReport) -> str | None:
    scored = [(b.mcc, name) for name, b in report.baselines.items() if b.mcc is not None]
    return max(scored)[1] if scored else None


def _card(label: str, big: str, small: str = "") -> str:
    return (f'<div class="card"><div class="label">{esc(label)}</div>'
            f'<div class="big">{esc(big)}</div><div class="small">{esc(small)}</div></div>')


def headline(r: ExperimentReport) -> str:
    """Verdict banner, the MCC with its interval, and what was tested on what."""
    oos, gate = r.oos, r.gate
    if gate.passed:
        banner = ('<div class="banner passed"><b>PASSED</b>the promotion gate: '
                  f'all {len(gate.checks)} checks passed</div>')
    else:
        items = "".join(f"<li>{esc(_check_text(c))}</li>" for c in gate.failing)
        banner = (f'<div class="banner refused"><b>REFUSED</b>by the promotion gate: '
                  f'{len(gate.failing)} of {len(gate.checks)} checks failed<ul>{items}</ul></div>')
    level = f"{oos.ci_level:.0%} interval"
    best = _best_baseline(r)
    cards = [
        _card("OOS MCC", num(oos.mcc, signed=True), f"{level} {ci(oos.mcc_ci, signed=True)}"),
        _card("OOS accuracy", num(oos.accuracy), f"{level} {ci(oos.accuracy_ci)}"),
        _card("OOS rows", num(oos.n_rows), f"{len(r.folds)} walk-forward folds"),
        _card("Calibration error (ECE)", num(oos.ece), ci(oos.ece_ci)),
    ]
    if best is not None:
        b = r.baselines[best]
        cards.append(_card(f"Best baseline: {best}", num(b.mcc, signed=True),
                           f"MCC {ci(b.mcc_ci, signed=True)}"))
    if r.policy is not None:
        fit = r.policy.results["fitted"]
        span = ci(fit.sharpe_ci if None not in fit.sharpe_ci else None, signed=True)
        cards.append(_card("Trading edge after costs",
                           "shown" if r.policy.tradable_edge else "not shown",
                           f"fitted policy: {fit.n_trades} trades, Sharpe {span}"))
    return "\n".join([
        f"<h1>{esc(r.experiment.name)}</h1>", f'<div class="meta">{esc(_meta(r))}</div>',
        f'<div class="meta">{esc(_where(r))}</div>', banner,
        f'<div class="cards">{"".join(cards)}</div>',
        *(f'<div class="note">{esc(n)}</div>' for n in _warnings(r, best)),
        *([f'<div class="note">{esc(r.policy.headline)} The MCC above is a classification '
           'figure; this line is a trading one.</div>'] if r.policy is not None else []),
    ])


def _warnings(r: ExperimentReport, best: str | None) -> list[str]:
    """Plain-language readings of the numbers that should stop a person from trusting them."""
    oos, notes = r.oos, []
    if oos.mcc_ci is not None and oos.mcc_ci[0] <= 0:
        notes.append(f"The MCC interval {ci(oos.mcc_ci, signed=True)} reaches 0 or below: out of "
                     "sample, this model shows no reliable evidence of skill.")
    if best is not None:
        diff = r.baselines[best].mcc_diff_ci
        if diff is not None and diff[0] <= 0:
            notes.append(f"The model − {best} MCC interval {ci(diff, signed=True)} reaches 0 or "
                         f"below: the model has not shown that it beats the {best} baseline.")
    name, share = max(oos.pred_shares.items(), key=lambda kv: kv[1])
    if share >= 0.9 and share >= oos.label_shares[name] + 0.1:
        notes.append(f"The model predicts {name} for {share:.0%} of out-of-sample rows (true share "
                     f"{oos.label_shares[name]:.0%}): it has collapsed towards one class.")
    return notes


def _meta(r: ExperimentReport) -> str:
    return (f"{r.data.symbol} · {r.data.timeframe} · {num(r.data.rows)} candles "
            f"{_when(r.data.first)} → {_when(r.data.last)} · report {_when(r.created_at)} · "
            f"tradewind {r.tradewind_version}")


def _where(r: ExperimentReport) -> str:
    where = f"bundle {r.bundle}"
    if r.registry is not None:
        where += f" · MLflow run {r.registry.run_id}"
        if r.registry.version is not None:
            where += f", version {r.registry.version}"
        if r.registry.alias:
            where += f" ({r.registry.alias})"
    return where


def diff_reading(
    interval: tuple[float, float] | None, better: str = "model better",
    worse: str = "baseline better", unknown: str = "—",
) -> str:
    """Words for a difference interval: ``better`` above 0, ``worse`` below, else no clear difference."""
    if interval is None:
        return unknown
    if interval[0] > 0:
        return better
    if interval[1] < 0:
        return worse
    return "no clear difference"


def baselines(r: ExperimentReport) -> str:
    """Model against every baseline on the same rows; the strongest baseline highlighted."""
    oos, best = r.oos, _best_baseline(r)
    rows: list[list[object]] = [["model", with_ci(oos.mcc, oos.mcc_ci, signed=True),
                                 with_ci(oos.accuracy, oos.accuracy_ci), "", ""]]
    classes = ["model"]
    for name, b in r.baselines.items():
        rows.append([name, with_ci(b.mcc, b.mcc_ci, signed=True), with_ci(b.accuracy, b.accuracy_ci),
                     ci(b.mcc_diff_ci, signed=True) or "—", diff_reading(b.mcc_diff_ci)])
        classes.append("best" if name == best else "")
    parts = [table(["predictor", "MCC [interval]", "accuracy [interval]",
                    "model − baseline MCC [interval]", "reading"], rows, classes)]
    if best is not None:
        parts.append(f'<p class="meta">Highlighted: {esc(best)}, the baseline with the highest '
                     "MCC. A difference interval that includes 0 means the model has not shown "
                     "it beats that baseline.</p>")
    else:
        parts.append('<div class="note">No baselines were scored: the MCC has nothing to be '
                     "compared with.</div>")
    parts.append(img(charts.baselines_png(oos.mcc, oos.mcc_ci, r.baselines),
                     "MCC of the model and the baselines with intervals"))
    return "\n".join(parts)


def distillation(r: ExperimentReport) -> str:
    """Teacher and distilled student on the same rows, with the paired difference."""
    d = r.distillation
    if d is None:
        return ""
    t = d.teacher
    rows = [
        [f"student ({d.student_model}, {d.student_params:,} parameters)",
         with_ci(r.oos.mcc, r.oos.mcc_ci, signed=True), with_ci(r.oos.accuracy, r.oos.accuracy_ci),
         " ".join(num(m, signed=True) for m in d.student_fold_mcc)],
        [f"teacher ({d.teacher_model}, {d.teacher_params:,} parameters)",
         with_ci(t.mcc, t.mcc_ci, signed=True), with_ci(t.accuracy, t.accuracy_ci),
         " ".join(num(m, signed=True) for m in d.teacher_fold_mcc)],
    ]
    return "\n".join([
        table(["predictor", "MCC [interval]", "accuracy [interval]", "MCC per fold"], rows),
        f"<p><b>student − teacher MCC</b> {ci(t.mcc_diff_ci, signed=True) or '—'}: "
        f"<b>{esc(d.reading)}</b>. Distilled with alpha {num(d.alpha)} (hard-label weight) and "
        f"temperature {num(d.temperature)}; the teacher was trained in every fold on the "
        "student's own training rows, so both are out of sample on the same rows.</p>",
    ])


def gate(r: ExperimentReport) -> str:
    """Every gate check with its value, threshold and result."""
    rows = [[c.name, value(c.value), value(c.threshold),
             ("pass", "pass") if c.passed else ("FAIL", "fail"), c.detail] for c in r.gate.checks]
    verdict = "PASSED" if r.gate.passed else "REFUSED"
    return (f"<p>Verdict: <b class=\"{'pass' if r.gate.passed else 'fail'}\">{verdict}</b></p>"
            + table(["check", "value", "threshold", "result", "detail"], rows))


def metrics(r: ExperimentReport) -> str:
    """All out-of-sample metrics with intervals, per-class scores and class shares."""
    o = r.oos
    rows = [
        ("MCC", with_ci(o.mcc, o.mcc_ci, signed=True)),
        ("accuracy", with_ci(o.accuracy, o.accuracy_ci)),
        ("balanced accuracy", with_ci(o.balanced_accuracy, o.balanced_accuracy_ci)),
        ("macro F1", with_ci(o.macro_f1, o.macro_f1_ci)),
        ("log loss", num(o.log_loss)), ("Brier score", num(o.brier)),
        ("ECE", with_ci(o.ece, o.ece_ci)), ("adaptive ECE", num(o.adaptive_ece)),
        ("ROC AUC", num(o.roc_auc)), ("rows", num(o.n_rows)),
    ]
    method = f" ({o.ci_method})" if o.ci_method else ""
    per_class = [[name, num(o.per_class[name].precision), num(o.per_class[name].recall),
                  num(o.per_class[name].f1), num(o.per_class[name].support),
                  num(o.pred_shares[name]), num(o.label_shares[name])] for name in o.classes]
    return "\n".join([
        f'<p class="meta">Intervals: {o.ci_level:.0%}{esc(method)}.</p>',
        table(["metric", "value [interval]"], rows),
        "<h3>Per class</h3>",
        table(["class", "precision", "recall", "F1", "support", "predicted share", "true share"],
              per_class),
    ])


def folds(r: ExperimentReport) -> str:
    """Per-fold test metrics: chart and table."""
    if not r.folds:
        return "<p>No folds recorded.</p>"
    rows = [[f.fold, num(f.train_rows), num(f.val_rows), num(f.test_rows),
             f"{_when(f.test_start)} → {_when(f.test_end)}", with_ci(f.mcc, f.mcc_ci, signed=True),
             num(f.accuracy), num(f.temperature), num(f.best_epoch)] for f in r.folds]
    return "\n".join([
        img(charts.folds_png(r.folds, r.oos.mcc, max(r.oos.label_shares.values(), default=None)),
            "Test MCC and accuracy per fold"),
        table(["fold", "train rows", "val rows", "test rows", "test period", "MCC",
               "accuracy", "temperature", "best epoch"], rows),
    ])


def calibration(r: ExperimentReport) -> str:
    """Reliability diagram before and after calibration."""
    c = r.calibration
    if c is None:
        return "<p>No calibration was recorded for this experiment.</p>"
    text = (f"<p>Method: <b>{esc(c.method)}</b>. Expected calibration error "
            f"{esc(num(c.ece_before))} before → <b>{esc(num(c.ece_after))}</b> after, "
            "out of sample.</p>")
    chart = img(charts.reliability_png(c.reliability_before, c.reliability_after, c.ece_before,
                                       c.ece_after, len(r.oos.classes)),
                "Reliability diagram before and after calibration")
    return text + chart + _fold_calibration_table(c.folds)


_STATUS_TEXT = {"fitted": "fitted", "bounded": "fitted, clipped to a bound",
                "kept_identity": "identity kept (T = 1)"}


def _fold_calibration_table(folds: list[FoldCalibration]) -> str:
    """Per fold: whether the fit was kept, clipped or replaced by the identity, and why."""
    if not folds:
        return ""
    rows = [[f.fold, _STATUS_TEXT.get(f.status, f.status), num(f.fitted_value), num(f.temperature),
             num(f.nll_gain, signed=True), num(f.nll_gain_lower, signed=True)] for f in folds]
    return "\n".join([
        "<h3>Per fold</h3>",
        "<p class=\"meta\">A fit is kept only when the lower bound of the block-bootstrap "
        "interval of its validation NLL gain is above zero; otherwise T = 1.</p>",
        table(["fold", "decision", "fitted value", "temperature applied", "NLL gain",
               "gain lower bound"], rows),
    ])


def confusion(r: ExperimentReport) -> str:
    """Confusion matrix heat map."""
    return img(charts.confusion_png(r.oos), "Confusion matrix, out of sample")


def shares(r: ExperimentReport) -> str:
    """Predicted-class share over time against the true share: collapse shows here first."""
    if not r.share_over_time:
        return "<p>No rolling share windows were recorded.</p>"
    return img(charts.shares_png(r.share_over_time, r.oos.classes),
               "Predicted versus true class share over time")


def training(r: ExperimentReport) -> str:
    """Training curves per fold."""
    if not any(f.history for f in r.folds):
        return "<p>No training history was recorded.</p>"
    return img(charts.training_png(r.folds), "Training and validation loss and validation MCC")


def _findings(items: list[Finding], empty: str) -> str:
    if not items:
        return f"<p>{esc(empty)}</p>"
    order = {"error": 0, "warning": 1, "info": 2}
    lis = "".join(f'<li><span class="lvl {esc(f.level)}">{esc(f.level)}</span>'
                  f"<code>{esc(f.code)}</code> {esc(f.message)}</li>"
                  for f in sorted(items, key=lambda f: order[f.level]))
    return f'<ul class="findings">{lis}</ul>'


def diagnostics(r: ExperimentReport) -> str:
    """Diagnostic findings (worst first) and the values behind them."""
    d = r.diagnostics
    parts = [_findings(d.findings, "No diagnostic findings.")]
    if d.values:
        parts += ["<h3>Values</h3>", kv_table(d.values)]
    return "\n".join(parts)


def data(r: ExperimentReport) -> str:
    """Where the candles came from and what validation found."""
    d = r.data
    rows = [("source", d.source), ("symbol", d.symbol), ("timeframe", d.timeframe),
            ("candles", num(d.rows)), ("first bar (open time)", _when(d.first)),
            ("last bar (open time)", _when(d.last)), ("fingerprint", d.fingerprint)]
    return "\n".join([table(["field", "value"], rows), "<h3>Validation findings</h3>",
                      _findings(d.findings, "Validation found nothing to report.")])


def _equity(bt: dict[str, Any]) -> tuple[list[float], list[Any] | None] | None:
    eq = bt.get("equity")
    if isinstance(eq, dict) and isinstance(eq.get("value"), list):
        ts = eq.get("timestamp")
        stamps = [datetime.fromisoformat(str(t)) for t in ts] if isinstance(ts, list) else None
        if stamps is not None and len(stamps) != len(eq["value"]):
            stamps = None
        values = eq["value"]
    elif isinstance(eq, list):
        values, stamps = eq, None
    else:
        return None
    if len(values) < 2 or not all(isinstance(v, int | float) for v in values):
        return None
    return [float(v) for v in values], stamps


def backtest(r: ExperimentReport) -> str:
    """Backtest statistics, and the equity curve with its drawdown when one was given."""
    bt = r.backtest or {}
    scalars = {k: v for k, v in bt.items() if k != "equity" and not isinstance(v, dict)}
    parts = [kv_table(scalars)] if scalars else []
    for key, sub in bt.items():
        if isinstance(sub, dict) and key != "equity":
            parts += [f"<h3>{esc(key)}</h3>", kv_table(sub)]
    series = _equity(bt)
    if series is not None:
        eq = bt.get("equity")
        hold = eq.get("buy_and_hold") if isinstance(eq, dict) else None
        if not isinstance(hold, list) or len(hold) != len(series[0]):
            hold = None
        parts.append(img(charts.equity_png(*series, benchmark=hold),
                         "Backtest equity (after costs) against buy-and-hold, and drawdown"))
    return "\n".join(parts) or "<p>The backtest section is empty.</p>"


def policy(r: ExperimentReport) -> str:
    """Probabilities → positions: the headline, the ways of trading side by side, per-fold choices."""
    pol = r.policy
    if pol is None:
        return ""
    names = {"every_signal": "every signal (naive)", "fitted": "fitted policy (gate judges this)",
             "logistic_fitted": "same fitting, logistic baseline",
             "fitted_without_meta": "fitted policy without its meta filter"}
    rows = []
    for key, res in pol.results.items():
        rows.append([names.get(key, key), num(res.n_trades),
                     with_ci(res.sharpe, res.sharpe_ci if None not in res.sharpe_ci else None,
                             signed=True),
                     num(res.total_return, signed=True),
                     with_ci(res.net_bp_per_trade, res.net_bp_ci, signed=True),
                     num(res.hit_rate), num(res.exposure), num(res.max_drawdown)])
    rows.append(["buy and hold", "—", "—", num(pol.buy_and_hold_return, signed=True),
                 "—", "—", "—", "—"])
    head = ["trading", "trades", f"Sharpe after costs [{r.oos.ci_level:.0%}]", "return",
            "net bp / trade [interval]", "hit rate", "exposure", "max drawdown"]
    folds = [[f.fold + 1, f.description, f.reason, num(f.val_trades),
              num(f.val_mean_bp, signed=True), num(f.val_objective, signed=True)]
             for f in pol.folds]
    objective = {"return_lcb": "the net return per trade",
                 "sharpe_lcb": "the per-bar Sharpe ratio"}.get(pol.objective, pol.objective)
    note = (f"Each fold chose one of {pol.candidates} candidates on its validation rows only, by "
            f"the {pol.level:.0%} lower bound of {objective} after costs, with at least "
            f"{pol.min_trades} validation trades; ties went to fewer trades. These are trading "
            "figures after costs; the MCC elsewhere in this report is a classification figure.")
    return "\n".join([
        f'<div class="note">{esc(pol.headline)}</div>', f'<p class="meta">{esc(note)}</p>',
        table(head, rows),
        "<h3>Chosen per fold (validation rows)</h3>",
        table(["fold", "policy", "why", "val trades", "val net bp", "lower bound"], folds),
        img(charts.policy_png([f.curve for f in pol.folds], pol.equity),
            "Validation curves per fold, and out-of-sample equity of each way of trading"),
    ])


def _ranked(x: float | None, rank: int | None) -> str:
    return "—" if x is None else f"{num(x)} (#{rank})"


def importance(r: ExperimentReport) -> str:
    """Out-of-sample feature importance: chart of the top features, table, and what it means."""
    imp = r.importance
    if imp is None:
        return ""
    perm = "permutation" in imp.methods
    rows = []
    for f in imp.features[:40]:
        row: list[object] = [f.feature]
        if perm:
            row += [with_ci(f.permutation_logloss, f.permutation_logloss_range, signed=True),
                    with_ci(f.permutation_mcc, f.permutation_mcc_range, signed=True)]
        row += [_ranked(f.gradient, f.gradient_rank), _ranked(f.shap, f.shap_rank)]
        rows.append(row)
    head = ["feature", *(["log-loss increase [fold min, max]", "MCC drop [fold min, max]"]
                         if perm else []), "integrated gradients (rank)", "TreeSHAP, LightGBM (rank)"]
    how = [f"Methods: {', '.join(imp.methods) or 'none'}; {imp.repeats} shuffle(s) per feature "
           f"and fold; unshuffled log-loss {num(imp.base_logloss)}, MCC {num(imp.base_mcc, signed=True)}."]
    if imp.gradient_method:
        how.append(f"Gradient: {imp.gradient_method}.")
    if imp.shap_model:
        how.append(f"SHAP: {imp.shap_model}.")
    parts = [f'<div class="note">{esc(imp.note)}</div>',
             *(f'<p class="meta">{esc(line)}</p>' for line in how)]
    if imp.features:
        parts.append(img(charts.importance_png(imp), "Feature importance out of sample"))
    more = len(imp.features) - len(rows)
    parts.append(table(head, rows))
    if more > 0:
        parts.append(f'<p class="meta">{more} further feature(s) in report.json.</p>')
    return "\n".join(parts)


_SECTIONS = (("headline", "Verdict", headline), ("baselines", "Model vs baselines", baselines),
             ("gate", "Promotion gate", gate), ("metrics", "Out-of-sample metrics", metrics),
             ("folds", "Folds", folds), ("calibration", "Calibration", calibration),
             ("confusion", "Confusion matrix", confusion),
             ("shares", "Class shares over time", shares), ("training", "Training curves", training),
             ("diagnostics", "Diagnostics", diagnostics), ("data", "Data", data))


def universe(r: ExperimentReport) -> str:
    """One row per symbol of a run over several series: its own metrics and verdict."""
    assert r.universe is not None
    rows = []
    for name, sec in r.universe.symbols.items():
        bt = sec.backtest or {}
        sharpe = bt.get("sharpe")
        low, high = bt.get("sharpe_ci_low"), bt.get("sharpe_ci_high")
        failed = ", ".join(c.name for c in sec.gate.checks if not c.passed)
        rows.append([
            name, f"{sec.oos.n_rows:,}", with_ci(sec.oos.mcc, sec.oos.mcc_ci, signed=True),
            num(sec.oos.accuracy), num(sec.oos.ece),
            with_ci(sharpe, None if low is None or high is None else (low, high), signed=True)
            if sharpe is not None else "–",
            value(bt.get("n_trades")),
            ("pass", "pass") if sec.gate.passed else ("REFUSED", "fail"), failed or "–",
        ])
    return (f"<p>{esc(r.universe.headline)}.</p><p>Mode: <b>{esc(r.universe.mode)}</b>. The "
            f"sections below judge all symbols pooled: {esc(r.universe.pooled_rows)}</p>"
            + table(["symbol", "OOS rows", "MCC [CI]", "accuracy", "ECE", "Sharpe [CI]",
                     "trades", "gate", "failed checks"], rows) + mode_comparison(r))


def mode_comparison(r: ExperimentReport) -> str:
    """Pooled against per-symbol models on the same rows, with the paired difference."""
    comparison = None if r.universe is None else r.universe.comparison
    if comparison is None:
        return ""
    marks = {"pooled better": ("pooled better", "pass"),
             "per_symbol better": ("per_symbol better", "fail")}
    rows = [
        [name, f"{d.n_rows:,}", with_ci(d.pooled_mcc, d.pooled_mcc_ci, signed=True),
         with_ci(d.per_symbol_mcc, d.per_symbol_mcc_ci, signed=True),
         with_ci(d.difference, d.difference_ci, signed=True), marks.get(d.reading, d.reading)]
        for name, d in [*comparison.symbols.items(), ("all symbols", comparison.pooled)]
    ]
    return (f"<h3>Pooled vs per-symbol models</h3><p><b>{esc(comparison.answer)}.</b></p>"
            f'<p class="meta">Both modes trained on the same folds and scored on the same '
            f"rows; the {esc(comparison.primary)} mode's models are the ones bundled and "
            f"gated. {esc(comparison.method)}.</p>"
            + table(["symbol", "OOS rows", "pooled MCC [CI]", "per_symbol MCC [CI]",
                     "pooled − per_symbol [paired CI]", "reading"], rows,
                    row_classes=[""] * len(comparison.symbols) + ["best"]))


def render_html(report: ExperimentReport) -> str:
    """The complete, self-contained ``report.html`` text of ``report``."""
    parts = [(sid, title, fn(report)) for sid, title, fn in _SECTIONS]
    if report.universe is not None:
        parts.insert(1, ("universe", "Per symbol", universe(report)))
    if report.distillation is not None:
        parts.insert(2, ("distillation", "Teacher vs student", distillation(report)))
    if report.policy is not None:
        parts.append(("policy", "Trading policy", policy(report)))
    if report.backtest is not None:
        parts.append(("backtest", "Backtest of the fitted policy", backtest(report)))
    if report.importance is not None:
        parts.append(("importance", "Feature importance", importance(report)))
    if report.export is not None:
        parts.append(("export", "Export", kv_table(report.export)))
    verdict = "PASSED" if report.gate.passed else "REFUSED"
    return page(f"{report.experiment.name} — {verdict} — tradewind report", parts)
