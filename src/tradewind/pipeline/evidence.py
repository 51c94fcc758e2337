"""The gate's evidence, built one way: from the report sections the gate reads.

A run judges its gate on :class:`GateSections` (the ``oos``, ``baselines``, ``diagnostics``
and ``backtest`` sections it then writes into ``report.json``), and ``tradewind rejudge``
reads the same sections back from the report. Both go through :func:`gate_evidence`, so a
check that reads a new number gets it in both places or in neither.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from tradewind.evaluation import GateEvidence, Interval
from tradewind.report.schema import (
    BaselineResult,
    Diagnostics,
    ExperimentReport,
    FreeDict,
    OOSMetrics,
    SymbolReport,
)

__all__ = ["GateSections", "gate_evidence"]


class GateSections(BaseModel):
    """The report sections the gate reads, validated as the report validates them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    oos: OOSMetrics
    baselines: dict[str, BaselineResult]
    diagnostics: Diagnostics
    backtest: FreeDict | None = None


def _interval(point: float | None, pair: Any, level: float) -> Interval | None:
    if point is None or pair is None:
        return None
    return Interval(point=float(point), lower=float(pair[0]), upper=float(pair[1]), level=level)


# The free-form sections (``diagnostics.values``, ``backtest``) are read here and only here.

def _float(section: Mapping[str, Any] | None, key: str) -> float | None:
    """``section[key]`` as a float; None when absent or null (undefined)."""
    value = None if section is None else section.get(key)
    return None if value is None else float(value)


def _count(section: Mapping[str, Any] | None, key: str) -> int | None:
    value = None if section is None else section.get(key)
    return None if value is None else int(value)


def _sharpe_lower(backtest: Mapping[str, Any] | None) -> float | None:
    """None: no backtest ran. NaN: it ran but the bound is undefined (stored as null), i.e.
    the fitted policy never traded."""
    if backtest is None or "sharpe_ci_low" not in backtest:
        return None
    value = _float(backtest, "sharpe_ci_low")
    return math.nan if value is None else value


def _input_scale(values: Mapping[str, Any]) -> tuple[bool | None, tuple[str, ...]]:
    stats = values.get("input_stats")
    if stats is None:
        return None, ()
    ok = stats.get("ok")
    issues = tuple(str(i["name"]) for i in stats.get("issues", []))
    return (None if ok is None else bool(ok)), issues


def _nonfinite(values: Mapping[str, Any]) -> int | None:
    logits, probs = _count(values, "n_nonfinite_logits"), _count(values, "n_nonfinite_probs")
    return None if logits is None or probs is None else logits + probs


def gate_evidence(report: GateSections | ExperimentReport | SymbolReport) -> GateEvidence:
    """Everything the gate reads, from a run's sections, its finished report, or one
    symbol's section of a run over several series."""
    oos, values = report.oos, report.diagnostics.values
    level = float(oos.ci_level)
    differences = {}
    for name, base in report.baselines.items():
        point = None if oos.mcc is None or base.mcc is None else oos.mcc - base.mcc
        diff = _interval(point, base.mcc_diff_ci, level)
        if diff is not None:
            differences[name] = diff
    ece, adaptive = oos.ece, oos.adaptive_ece
    scale_ok, scale_issues = _input_scale(values)
    return GateEvidence(
        classes=tuple(oos.classes),
        n_oos_rows=int(oos.n_rows),
        model_mcc=_interval(oos.mcc, oos.mcc_ci, level),
        model_accuracy=_interval(oos.accuracy, oos.accuracy_ci, level),
        baseline_mcc={k: float(b.mcc) for k, b in report.baselines.items() if b.mcc is not None},
        mcc_difference=differences,
        ece=ece,
        calibration_error=None if ece is None or adaptive is None else max(ece, adaptive),
        overconfident_share=_float(values, "overconfident_share"),
        max_abs_logit=_float(values, "max_abs_logit"),
        predicted_shares=dict(oos.pred_shares),
        label_shares=dict(oos.label_shares),
        n_nonfinite=_nonfinite(values),
        input_scale_ok=scale_ok,
        input_scale_issues=scale_issues,
        sharpe_lower=_sharpe_lower(report.backtest),
        n_trades=_count(report.backtest, "n_trades"),
    )
