"""The promotion gate: a model is promoted only when every check passes, each on evidence
with an interval and beside baselines scored on the same rows.

Seed 003 promoted on "accuracy >= 0.68 and calibration error <= 5 %" read off point
estimates; here those checks exist (``min_accuracy``, ``max_calibration_error``) but are
judged on the interval's lower bound, and the default gate asks what matters more: is the
MCC interval above zero, above the free baselines, and not below a cheap learned model? And
does the edge survive trading costs: is the backtest's Sharpe interval after fees and
slippage above zero?
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.evaluation._json import json_safe
from tradewind.evaluation.baselines import BASELINES
from tradewind.evaluation.bootstrap import Interval
from tradewind.exceptions import GateRefused

__all__ = [
    "LEARNED_BASELINES",
    "GateCheck",
    "GateEvidence",
    "GateSpec",
    "GateVerdict",
    "evaluate_gate",
]

LEARNED_BASELINES: tuple[str, ...] = ("logistic", "lightgbm")


class GateSpec(BaseModel):
    """Thresholds of the promotion gate (defaults = tradewind's default gate).

    ``None`` switches an optional check off. Bounds on interval checks apply to the
    bootstrap interval, not the point estimate.
    """

    model_config = ConfigDict(extra="forbid")

    min_mcc_lower: float = Field(
        0.0, description="The MCC interval's lower bound must exceed this."
    )
    beat_baselines: list[str] = Field(
        default_factory=lambda: ["majority", "persistence"],
        description="The MCC lower bound must exceed these baselines' MCC point estimates.",
    )
    not_worse_than_learned: bool = Field(
        True,
        description="The paired MCC-difference interval vs each learned baseline must reach above 0.",
    )
    max_ece: float | None = Field(
        0.03, ge=0, description="Calibrated out-of-sample ECE at most this."
    )
    max_overconfident_share: float | None = Field(
        0.01, ge=0, le=1, description="Share of predictions above 99 % confidence at most this."
    )
    max_abs_logit: float | None = Field(20.0, gt=0, description="Largest |raw logit| at most this.")
    class_share_ratio: tuple[float, float] | None = Field(
        (0.5, 1.5), description="Each class's predicted share within lo x .. hi x its label share."
    )
    min_oos_rows: int = Field(500, ge=1, description="At least this many out-of-sample rows.")
    min_accuracy: float | None = Field(
        None, ge=0, le=1, description="Seed-style: accuracy interval lower bound at least this."
    )
    max_calibration_error: float | None = Field(
        None, ge=0, description="Seed-style: max(ECE, adaptive ECE) at most this."
    )
    class_share_bounds: dict[str, tuple[float, float]] | None = Field(
        None, description="Seed-style: predicted share of a named class within [lo, hi]."
    )
    min_sharpe_lower: float | None = Field(
        0.0,
        description="The backtest's Sharpe interval lower bound after costs must exceed this "
        "(a classification edge that costs eat is no edge); null switches the check off.",
    )
    min_trades: int | None = Field(
        30, ge=1,
        description="The fitted trade policy must make at least this many out-of-sample trades "
        "(a policy that almost never trades shows nothing); null switches the check off.",
    )
    require_input_scale_ok: bool = Field(True, description="Refuse un-normalised model inputs.")
    require_finite: bool = Field(True, description="Refuse NaN/inf logits or probabilities.")

    @field_validator("beat_baselines")
    @classmethod
    def _known_baselines(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(BASELINES))
        if unknown:
            raise ValueError(
                f"gate.beat_baselines has unknown {unknown}; choose from {list(BASELINES)}"
            )
        return v

    @field_validator("class_share_ratio")
    @classmethod
    def _ratio_order(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not 0 <= v[0] <= 1 <= v[1]:
            raise ValueError(f"gate.class_share_ratio needs 0 <= lo <= 1 <= hi; got {v}")
        return v

    @field_validator("class_share_bounds")
    @classmethod
    def _bounds_order(
        cls, v: dict[str, tuple[float, float]] | None
    ) -> dict[str, tuple[float, float]] | None:
        for name, (lo, hi) in (v or {}).items():
            if not 0 <= lo <= hi <= 1:
                raise ValueError(
                    f"gate.class_share_bounds[{name!r}] needs 0 <= lo <= hi <= 1; got {(lo, hi)}"
                )
        return v


@dataclass(frozen=True)
class GateEvidence:
    """Everything the gate reads, as plain numbers; None means "not measured" (fails its check).

    Built in one place, ``tradewind.pipeline.evidence.gate_evidence``, from the report
    sections, so a run and a later re-judging read the same numbers.
    """

    classes: tuple[str, ...]
    n_oos_rows: int
    model_mcc: Interval | None
    model_accuracy: Interval | None
    baseline_mcc: dict[str, float] = field(default_factory=dict)
    mcc_difference: dict[str, Interval] = field(default_factory=dict)
    ece: float | None = None
    calibration_error: float | None = None
    overconfident_share: float | None = None
    max_abs_logit: float | None = None
    predicted_shares: dict[str, float] = field(default_factory=dict)
    label_shares: dict[str, float] = field(default_factory=dict)
    n_nonfinite: int | None = None
    input_scale_ok: bool | None = None
    input_scale_issues: tuple[str, ...] = ()
    sharpe_lower: float | None = None
    n_trades: int | None = None


@dataclass(frozen=True)
class GateCheck:
    """One check: the measured value, what it was compared to, and one sentence why."""

    name: str
    value: float | None
    threshold: float | list[float] | str | None
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (matches the report schema's GateCheck)."""
        return json_safe(vars(self))


@dataclass(frozen=True)
class GateVerdict:
    """``passed`` is True only when every check passed."""

    passed: bool
    checks: list[GateCheck]

    def failing(self) -> list[GateCheck]:
        """The checks that failed, in gate order."""
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        """``{"passed": ..., "checks": [...]}``, JSON-safe."""
        return {"passed": self.passed, "checks": [c.to_dict() for c in self.checks]}

    def summary(self) -> str:
        """One line for the verdict, then one line per failing check saying why."""
        bad = self.failing()
        if not bad:
            return f"PASSED: all {len(self.checks)} checks passed."
        lines = [f"REFUSED: {len(bad)} of {len(self.checks)} checks failed."]
        lines += [f"- {c.name}: {c.detail}" for c in bad]
        return "\n".join(lines)

    def raise_if_refused(self) -> None:
        """Raise :class:`GateRefused` with :meth:`summary` unless the gate passed."""
        if not self.passed:
            raise GateRefused(self.summary())


def _missing(name: str, threshold: Any, what: str) -> GateCheck:
    return GateCheck(
        name, None, threshold, False, f"{what} was not measured, so the check cannot pass."
    )


def _ci(i: Interval, fmt: str = "+.3f") -> str:
    return f"[{i.lower:{fmt}}, {i.upper:{fmt}}]"


def _edge_checks(spec: GateSpec, ev: GateEvidence) -> list[GateCheck]:
    out = []
    mcc = ev.model_mcc
    if mcc is None:
        out.append(_missing("mcc_ci_low", spec.min_mcc_lower, "the model's MCC interval"))
    else:
        ok = mcc.lower > spec.min_mcc_lower
        out.append(
            GateCheck(
                "mcc_ci_low",
                mcc.lower,
                spec.min_mcc_lower,
                ok,
                f"MCC {mcc.point:+.3f}, {mcc.level:.0%} interval {_ci(mcc)}; its lower bound must "
                f"exceed {spec.min_mcc_lower:+.3f}" + ("." if ok else " - no demonstrated edge."),
            )
        )
    for name in spec.beat_baselines:
        check = f"beats_{name}"
        if name not in ev.baseline_mcc:
            out.append(
                GateCheck(check, None, None, False, f"baseline {name!r} was not run on these rows.")
            )
        elif mcc is None:
            out.append(_missing(check, ev.baseline_mcc[name], "the model's MCC interval"))
        else:
            base = ev.baseline_mcc[name]
            ok = mcc.lower > base
            verb = "exceeds" if ok else "does not exceed"
            out.append(
                GateCheck(
                    check,
                    mcc.lower,
                    base,
                    ok,
                    f"model MCC lower bound {mcc.lower:+.3f} {verb} the {name} baseline's MCC {base:+.3f}.",
                )
            )
    if spec.not_worse_than_learned:
        out.append(_learned_check(ev))
    return out


def _learned_check(ev: GateEvidence) -> GateCheck:
    """Paired MCC difference vs each learned baseline: its upper bound must be above 0.

    Every learned baseline present is checked; the detail names the one that beats the
    model (lowest upper bound) or, when all pass, the strongest one by MCC.
    """
    name = "not_worse_than_learned"
    learned = [b for b in LEARNED_BASELINES if b in ev.baseline_mcc]
    if not learned:
        return GateCheck(
            name,
            None,
            0.0,
            False,
            f"no learned baseline ({', '.join(LEARNED_BASELINES)}) was run on these rows; run them "
            "or set not_worse_than_learned: false.",
        )
    missing = [b for b in learned if b not in ev.mcc_difference]
    if missing or ev.model_mcc is None:
        return _missing(name, 0.0, f"the paired MCC difference against {missing or learned}")
    model = ev.model_mcc.point
    worst = min(learned, key=lambda b: ev.mcc_difference[b].upper)
    best = max(learned, key=lambda b: ev.baseline_mcc[b])
    diff = ev.mcc_difference[worst]
    if diff.upper <= 0:
        detail = (
            f"{worst} is better than the model: MCC {ev.baseline_mcc[worst]:+.3f} vs {model:+.3f}, "
            f"and the paired interval of model - {worst} {_ci(diff)} lies entirely at or below 0. "
            f"Use {worst}, or improve the model."
        )
    elif ev.mcc_difference[best].point < 0:
        detail = (
            f"passes, but {best} has the higher MCC point estimate ({ev.baseline_mcc[best]:+.3f} "
            f"vs {model:+.3f}); the paired interval of model - {best} "
            f"{_ci(ev.mcc_difference[best])} does not exclude 0."
        )
    else:
        detail = (
            f"model - {best} (strongest learned baseline) MCC {ev.mcc_difference[best].point:+.3f}, "
            f"paired interval {_ci(ev.mcc_difference[best])}."
        )
    return GateCheck(name, diff.upper, 0.0, diff.upper > 0, detail)


def _at_most(
    name: str, value: float | None, limit: float, what: str, fmt: str = ".3f"
) -> GateCheck:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _missing(name, limit, what)
    ok = value <= limit
    return GateCheck(
        name, float(value), limit, ok, f"{what} is {value:{fmt}} (allowed at most {limit:{fmt}})."
    )


def _share_ratio_check(lo: float, hi: float, ev: GateEvidence) -> GateCheck:
    if not ev.label_shares:
        return _missing("class_share_ratio", [lo, hi], "the predicted and label class shares")
    off, worst, worst_dist = [], 1.0, 0.0
    for c in ev.classes:
        pred, lab = ev.predicted_shares.get(c, 0.0), ev.label_shares.get(c, 0.0)
        ratio = pred / lab if lab > 0 else (1.0 if pred == 0 else math.inf)
        dist = abs(math.log(ratio)) if 0 < ratio < math.inf else math.inf
        if dist > worst_dist:
            worst, worst_dist = ratio, dist
        if not lo <= ratio <= hi:
            off.append(f"{c} predicted {pred:.1%} vs {lab:.1%} of labels (ratio {ratio:.2f})")
    detail = (
        f"every class's predicted share is within {lo:g}x-{hi:g}x its label share."
        if not off
        else "predictions are biased/collapsed: " + "; ".join(off) + f" (allowed {lo:g}x-{hi:g}x)."
    )
    return GateCheck("class_share_ratio", worst, [lo, hi], not off, detail)


def _share_bounds_check(bounds: dict[str, tuple[float, float]], ev: GateEvidence) -> GateCheck:
    text = ", ".join(f"{k} {lo:.2f}-{hi:.2f}" for k, (lo, hi) in bounds.items())
    unknown = sorted(set(bounds) - set(ev.classes))
    if unknown:
        return GateCheck(
            "class_share_bounds",
            None,
            text,
            False,
            f"classes {unknown} are not among this model's classes {list(ev.classes)}.",
        )
    off, worst = [], None
    for name, (lo, hi) in bounds.items():
        share = ev.predicted_shares.get(name, 0.0)
        if not lo <= share <= hi:
            off.append(f"{name} predicted for {share:.1%} of rows (allowed {lo:.0%}-{hi:.0%})")
            worst = share if worst is None else worst
    detail = "predicted shares within bounds." if not off else "; ".join(off) + "."
    value = worst if worst is not None else ev.predicted_shares.get(next(iter(bounds)), None)
    return GateCheck("class_share_bounds", value, text, not off, detail)


def _seed_checks(spec: GateSpec, ev: GateEvidence) -> list[GateCheck]:
    out = []
    if spec.min_accuracy is not None:
        acc = ev.model_accuracy
        if acc is None:
            out.append(_missing("min_accuracy", spec.min_accuracy, "the accuracy interval"))
        else:
            ok = acc.lower >= spec.min_accuracy
            out.append(
                GateCheck(
                    "min_accuracy",
                    acc.lower,
                    spec.min_accuracy,
                    ok,
                    f"accuracy {acc.point:.3f}, interval {_ci(acc, '.3f')}; its lower bound must be at "
                    f"least {spec.min_accuracy:.3f}.",
                )
            )
    if spec.max_calibration_error is not None:
        out.append(
            _at_most(
                "calibration_error",
                ev.calibration_error,
                spec.max_calibration_error,
                "the calibration error (max of ECE and adaptive ECE)",
            )
        )
    if spec.class_share_bounds is not None:
        out.append(_share_bounds_check(spec.class_share_bounds, ev))
    return out


def _sharpe_check(threshold: float, ev: GateEvidence) -> GateCheck:
    if ev.sharpe_lower is None:
        return GateCheck(
            "sharpe_ci_low",
            None,
            threshold,
            False,
            "no backtest was run, so there is no Sharpe interval after costs; enable the "
            "backtest or set gate.min_sharpe_lower: null.",
        )
    if math.isnan(ev.sharpe_lower):
        return GateCheck(
            "sharpe_ci_low", None, threshold, False,
            "the fitted trade policy never traded out of sample (validation showed nothing "
            "that pays after costs), so there is no Sharpe interval: no trading edge is shown.",
        )
    ok = ev.sharpe_lower > threshold
    return GateCheck(
        "sharpe_ci_low",
        ev.sharpe_lower,
        threshold,
        ok,
        f"the fitted trade policy's Sharpe lower bound after costs {ev.sharpe_lower:+.2f} must "
        f"exceed {threshold:+.2f}" + ("." if ok else ": no profit after fees and slippage is shown."),
    )


def _trades_check(minimum: int, ev: GateEvidence) -> GateCheck:
    if ev.n_trades is None:
        return _missing("min_trades", float(minimum), "the fitted policy's out-of-sample trade count")
    ok = ev.n_trades >= minimum
    return GateCheck(
        "min_trades",
        float(ev.n_trades),
        float(minimum),
        ok,
        f"the fitted trade policy made {ev.n_trades} out-of-sample trades (need at least "
        f"{minimum})" + ("." if ok else ": too few to show a trading edge."),
    )


def evaluate_gate(spec: GateSpec, evidence: GateEvidence) -> GateVerdict:
    """Run every check of ``spec`` on ``evidence``; the verdict lists each with its reason."""
    ev = evidence
    checks = [
        GateCheck(
            "oos_rows",
            float(ev.n_oos_rows),
            float(spec.min_oos_rows),
            ev.n_oos_rows >= spec.min_oos_rows,
            f"{ev.n_oos_rows} out-of-sample rows (need at least {spec.min_oos_rows}).",
        )
    ]
    if spec.require_finite:
        n_bad = ev.n_nonfinite
        checks.append(
            _missing("finite_outputs", 0.0, "the NaN/inf count of logits and probabilities")
            if n_bad is None
            else GateCheck(
                "finite_outputs",
                float(n_bad),
                0.0,
                n_bad == 0,
                f"{n_bad} NaN/inf values in the model's logits and probabilities.",
            )
        )
    if spec.require_input_scale_ok:
        if ev.input_scale_ok is None:
            checks.append(
                GateCheck(
                    "input_scale",
                    None,
                    None,
                    False,
                    "no input-scale audit was run on the model's inputs.",
                )
            )
        else:
            issues = ", ".join(ev.input_scale_issues)
            checks.append(
                GateCheck(
                    "input_scale",
                    float(len(ev.input_scale_issues)),
                    0.0,
                    ev.input_scale_ok,
                    "every feature reaches the model normalised."
                    if ev.input_scale_ok
                    else f"features reach the model un-normalised: {issues}.",
                )
            )
    checks += _edge_checks(spec, ev)
    if spec.max_ece is not None:
        checks.append(_at_most("ece", ev.ece, spec.max_ece, "calibrated out-of-sample ECE"))
    if spec.max_overconfident_share is not None:
        checks.append(
            _at_most(
                "overconfidence",
                ev.overconfident_share,
                spec.max_overconfident_share,
                "the share of predictions above 99 % confidence",
                ".1%",
            )
        )
    if spec.max_abs_logit is not None:
        checks.append(
            _at_most(
                "max_abs_logit",
                ev.max_abs_logit,
                spec.max_abs_logit,
                "the largest |raw logit|",
                ",.1f",
            )
        )
    if spec.class_share_ratio is not None:
        checks.append(_share_ratio_check(*spec.class_share_ratio, ev))
    if spec.min_sharpe_lower is not None:
        checks.append(_sharpe_check(spec.min_sharpe_lower, ev))
    if spec.min_trades is not None:
        checks.append(_trades_check(spec.min_trades, ev))
    checks += _seed_checks(spec, ev)
    return GateVerdict(passed=all(c.passed for c in checks), checks=checks)
