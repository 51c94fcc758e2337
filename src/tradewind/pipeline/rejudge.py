"""Judge a finished run's evidence again under another gate, without retraining.

``report.json`` keeps every number the gate reads (intervals, baselines, diagnostics, the
backtest's Sharpe interval), so "would this run pass with ``max_ece: 0.05``?" or "what did
it fail besides the backtest?" needs no new run. A verdict reached here is for reading:
promotion still goes by the verdict recorded in the bundle when the run ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradewind.config import apply_overrides, parse_overrides, validate_section
from tradewind.evaluation import GateEvidence, GateSpec, GateVerdict, Interval, evaluate_gate
from tradewind.exceptions import ConfigError, DataError
from tradewind.report import ExperimentReport, load_report

__all__ = ["Rejudged", "evidence_from_report", "rejudge"]


@dataclass(frozen=True)
class Rejudged:
    """The same evidence under the run's own gate (with ``overrides``) and as recorded."""

    report: ExperimentReport
    spec: GateSpec
    verdict: GateVerdict
    recorded_passed: bool
    overrides: dict[str, Any]


def _interval(point: float | None, pair: Any, level: float) -> Interval | None:
    if point is None or pair is None or pair[0] is None or pair[1] is None:
        return None
    return Interval(point=float(point), lower=float(pair[0]), upper=float(pair[1]), level=level)


def evidence_from_report(report: ExperimentReport) -> GateEvidence:
    """The gate's evidence, as the run measured it, read back from its report."""
    oos, values = report.oos, report.diagnostics.values
    level = float(oos.ci_level)
    stats = values.get("input_stats")
    nonfinite = [values.get("n_nonfinite_logits"), values.get("n_nonfinite_probs")]
    mcc = _interval(oos.mcc, oos.mcc_ci, level)
    differences = {}
    for name, base in report.baselines.items():
        point = None if oos.mcc is None or base.mcc is None else oos.mcc - base.mcc
        diff = _interval(point, base.mcc_diff_ci, level)
        if diff is not None:
            differences[name] = diff
    ece, adaptive = oos.ece, oos.adaptive_ece
    return GateEvidence(
        classes=tuple(oos.classes),
        n_oos_rows=int(oos.n_rows),
        model_mcc=mcc,
        model_accuracy=_interval(oos.accuracy, oos.accuracy_ci, level),
        baseline_mcc={k: float(b.mcc) for k, b in report.baselines.items() if b.mcc is not None},
        mcc_difference=differences,
        ece=ece,
        calibration_error=None if ece is None or adaptive is None else max(ece, adaptive),
        overconfident_share=values.get("overconfident_share"),
        max_abs_logit=values.get("max_abs_logit"),
        predicted_shares=dict(oos.pred_shares),
        label_shares=dict(oos.label_shares),
        n_nonfinite=None if None in nonfinite else int(sum(nonfinite)),
        input_scale_ok=None if stats is None else bool(stats.get("ok")),
        input_scale_issues=() if stats is None else tuple(
            str(i.get("name")) for i in stats.get("issues", [])),
        sharpe_lower=None if report.backtest is None else report.backtest.get("sharpe_ci_low"),
        n_trades=None if report.backtest is None else _int(report.backtest.get("n_trades")),
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def rejudge(path: str | Path, overrides: Mapping[str, Any] | Iterable[str] = ()) -> Rejudged:
    """Judge the run whose ``report.json`` is at ``path`` (or in that directory) under its
    own gate with ``overrides`` (``gate.*`` keys only: other keys change the evidence)."""
    report = load_report(Path(path))
    pairs = dict(overrides) if isinstance(overrides, Mapping) else parse_overrides(overrides)
    outside = sorted(k for k in pairs if not k.startswith("gate."))
    if outside:
        raise ConfigError(
            f"--set {', '.join(outside)}: only gate.* keys can be judged again; other keys "
            "change what was measured, so run the experiment again"
        )
    config = report.experiment.config
    if not isinstance(config.get("gate"), Mapping):
        raise DataError(f"{path}: the report's experiment.config has no gate section")
    raw = apply_overrides({"gate": dict(config["gate"])}, pairs)
    spec = validate_section(GateSpec, raw["gate"], f"{path} (gate)")
    verdict = evaluate_gate(spec, evidence_from_report(report))
    return Rejudged(report=report, spec=spec, verdict=verdict,
                    recorded_passed=bool(report.gate.passed), overrides=pairs)
