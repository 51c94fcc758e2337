"""The monitor's rules: realised metrics against promises, drift and shares against thresholds.

Each rule is a small function that returns the check's status and, when it fails, a
:class:`Breach` whose reason is one plain sentence with the numbers.
"""

from __future__ import annotations

from tradewind.config import MonitorSpec
from tradewind.monitor.drift import FeatureDrift
from tradewind.monitor.realised import Interval, WindowMetrics
from tradewind.monitor.reference import Promises
from tradewind.monitor.result import Breach, RealisedCheck, SharesSection

__all__ = ["CHECKS", "judge_drift", "judge_realised", "judge_shares"]

CHECKS = ("accuracy", "mcc", "ece", "return_per_trade", "drawdown", "feature_drift",
          "class_share", "prediction_drift")
"""Every check name a breach can carry (the ``check`` label of the Prometheus gauge)."""


def _span(ci: list[float] | None, fmt: str = "+.3f") -> str:
    return "no interval" if ci is None else f"[{ci[0]:{fmt}}, {ci[1]:{fmt}}]"


def _below(name: str, label: str, got: Interval, promised: float | None,
           promised_ci: list[float] | None, fmt: str, *, floor: float | None,
           enough: bool, short: str) -> tuple[RealisedCheck, Breach | None]:
    """Breach when the realised interval lies entirely below the promised interval, or
    entirely below ``floor``."""
    row = RealisedCheck(name=name, value=got.value, ci=got.ci, promised=promised,
                        promised_ci=promised_ci, status="ok")
    if not enough or got.ci is None:
        return row.model_copy(update={"status": "unavailable", "note": short}), None
    hi = got.ci[1]
    reasons = []
    if promised_ci is not None and hi < promised_ci[0]:
        reasons.append(f"below the promised interval {_span(promised_ci, fmt)}")
    if floor is not None and hi < floor:
        reasons.append(f"below {floor:g}")
    if not reasons:
        return row, None
    text = (f"realised {label} {got.value:{fmt}} {_span(got.ci, fmt)} lies entirely "
            f"{' and '.join(reasons)}: the model no longer delivers what its run promised")
    return row.model_copy(update={"status": "breach", "note": text}), Breach(
        check=name, level="breach", reason=text)


def judge_realised(current: WindowMetrics | None, promises: Promises | None, spec: MonitorSpec
                   ) -> tuple[list[RealisedCheck], list[Breach]]:
    """Accuracy, MCC, ECE, return per trade and drawdown of the newest window."""
    p = promises or Promises(source="none")
    if current is None:
        current = WindowMetrics(first=None, last=None, signals=0, labelled=0, trades=0,
                                **{k: Interval(value=None) for k in (
                                    "accuracy", "mcc", "ece", "trade_hit_rate",
                                    "return_per_trade_bp", "cumulative_return", "max_drawdown")})
    enough = current.labelled >= spec.min_resolved
    few = (f"{current.labelled} labelled signals in the window, fewer than "
           f"monitor.min_resolved={spec.min_resolved}")
    trades = current.trades >= spec.min_trades
    few_trades = (f"{current.trades} paper trades in the window, fewer than "
                  f"monitor.min_trades={spec.min_trades}")
    rows, found = [], []
    for item in (
        _below("accuracy", "accuracy", current.accuracy, p.accuracy, p.accuracy_ci, ".3f",
               floor=None, enough=enough, short=few),
        _below("mcc", "MCC", current.mcc, p.mcc, p.mcc_ci, "+.3f", floor=0.0, enough=enough,
               short=few),
        _below("return_per_trade", "after-cost return per trade (bp)",
               current.return_per_trade_bp, p.return_per_trade_bp, p.return_per_trade_bp_ci,
               "+.1f", floor=0.0, enough=trades, short=few_trades),
    ):
        rows.append(item[0])
        if item[1] is not None:
            found.append(item[1])
    ece_row = RealisedCheck(name="ece", value=current.ece.value, ci=current.ece.ci,
                            promised=p.ece, promised_ci=p.ece_ci, status="ok")
    if not enough or current.ece.ci is None:
        ece_row = ece_row.model_copy(update={"status": "unavailable", "note": few})
    else:
        limit = (p.ece or 0.0) + spec.ece_margin
        if current.ece.ci[0] > limit:
            text = (f"realised ECE {current.ece.value:.3f} {_span(current.ece.ci, '.3f')} lies "
                    f"entirely above the promised {p.ece or 0.0:.3f} + monitor.ece_margin "
                    f"{spec.ece_margin:g}: the probabilities are no longer calibrated")
            ece_row = ece_row.model_copy(update={"status": "breach", "note": text})
            found.append(Breach(check="ece", level="breach", reason=text))
    rows.insert(2, ece_row)
    dd = current.max_drawdown
    dd_row = RealisedCheck(name="drawdown", value=dd.value, ci=dd.ci, promised=p.max_drawdown,
                           status="ok" if trades else "unavailable",
                           note="" if trades else few_trades)
    if trades and spec.max_drawdown is not None and dd.value is not None \
            and dd.value > spec.max_drawdown:
        text = (f"paper-trade drawdown {dd.value:.1%} over the window exceeds "
                f"monitor.max_drawdown {spec.max_drawdown:.1%}")
        dd_row = dd_row.model_copy(update={"status": "breach", "note": text})
        found.append(Breach(check="drawdown", level="breach", reason=text))
    rows.append(dd_row)
    return rows, found


def judge_drift(features: list[FeatureDrift], spec: MonitorSpec
                ) -> tuple[list[FeatureDrift], list[Breach]]:
    """Status per feature (PSI, and KS when ``ks_breach`` is set) and its breaches."""
    out, found = [], []
    for f in features:
        status, reasons = "ok", []
        if f.psi > spec.psi_breach:
            status = "breach"
            reasons.append(f"PSI {f.psi:.3f} > monitor.psi_breach {spec.psi_breach:g}")
        if spec.ks_breach is not None and f.ks > spec.ks_breach:
            status = "breach"
            reasons.append(f"KS {f.ks:.3f} > monitor.ks_breach {spec.ks_breach:g}")
        if status == "ok" and f.psi > spec.psi_warn:
            status = "warning"
            reasons.append(f"PSI {f.psi:.3f} > monitor.psi_warn {spec.psi_warn:g}")
        out.append(f.model_copy(update={"status": status}))
        if reasons:
            found.append(Breach(
                check="feature_drift", level="breach" if status == "breach" else "warning",
                subject=f.feature,
                reason=f"feature {f.feature} over the newest {f.rows} bars has drifted from its "
                       f"training distribution: {' and '.join(reasons)}"))
    return out, found


def judge_shares(shares: SharesSection, spec: MonitorSpec) -> tuple[SharesSection, list[Breach]]:
    """Collapse (one class above ``max_class_share``) and drift of the predicted shares."""
    if not shares.recent:
        return shares, []
    found = []
    top = max(shares.recent, key=shares.recent.__getitem__)
    share = shares.recent[top]
    status = "ok"
    if share > spec.max_class_share:
        then = ("" if shares.training is None
                else f" (training rows: {shares.training.get(top, 0.0):.0%})")
        found.append(Breach(
            check="class_share", level="breach", subject=top,
            reason=f"{share:.0%} of the newest {shares.signals} signals predict {top}{then}, "
                   f"above monitor.max_class_share {spec.max_class_share:.0%}: the model is "
                   "collapsing to one class"))
        status = "breach"
    if shares.psi is not None and shares.psi > spec.psi_breach:
        found.append(Breach(
            check="prediction_drift", level="warning",
            reason=f"predicted-class shares of the newest {shares.signals} signals moved from "
                   f"training (PSI {shares.psi:.3f} > monitor.psi_breach {spec.psi_breach:g})"))
        status = "breach" if status == "breach" else "warning"
    return shares.model_copy(update={"status": status}), found
