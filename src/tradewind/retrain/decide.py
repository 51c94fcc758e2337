"""The promotion rule of a retrain, with its reasons as plain sentences.

Promote only when the challenger's promotion gate passed **and**, when there is a
champion, ``retrain.require`` holds on every metric in ``retrain.decide_on``:

- ``not_worse``: the interval of challenger − champion reaches zero or above (the
  challenger is not shown worse);
- ``better``: its lower bound is above zero (the challenger is shown better).

Without a champion, a challenger whose gate passed is promoted (as ``run`` + ``promote``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tradewind.config import RetrainSpec
from tradewind.retrain.compare import MetricComparison

__all__ = ["Decision", "decide"]

_WHAT = {"mcc": "MCC", "return": "after-cost return per bar"}


@dataclass(frozen=True)
class Decision:
    """``promote`` or ``reject``, and every reason, one sentence each."""

    decision: Literal["promote", "reject"]
    reasons: list[str] = field(default_factory=list)

    @property
    def promote(self) -> bool:
        return self.decision == "promote"


def _number(metric: str, value: float) -> str:
    if metric == "return":
        return f"{value * 1e4:+.2f} bp"
    return f"{value:+.3f}"


def _rule_holds(require: str, metric: str, comparison: MetricComparison) -> tuple[bool, str]:
    diff = comparison.difference
    assert diff is not None
    what = _WHAT[metric]
    level = f"{diff.level * 100:g} %"
    shown = (f"challenger − champion = {_number(metric, diff.point)}, {level} interval "
             f"[{_number(metric, diff.lower)}, {_number(metric, diff.upper)}]")
    if not (math.isfinite(diff.lower) and math.isfinite(diff.upper)):
        if require == "better":
            return False, f"On {what} the difference has no interval, so the challenger is not shown better."
        return True, f"On {what} the difference has no interval, so the challenger is not shown worse."
    if require == "better":
        if diff.lower > 0:
            return True, f"On {what} the challenger is shown better than the champion: {shown} lies above zero."
        return False, (f"On {what} the challenger is not shown better than the champion: {shown} "
                       "does not lie above zero.")
    if diff.upper >= 0:
        return True, f"On {what} the challenger is not shown worse than the champion: {shown} reaches zero or above."
    return False, f"On {what} the challenger is shown worse than the champion: {shown} lies below zero."


def decide(
    spec: RetrainSpec,
    *,
    gate_passed: bool,
    gate_failing: Sequence[str],
    comparisons: Mapping[str, MetricComparison],
    champion: str | None,
) -> Decision:
    """Apply the rule (module docstring) to a challenger's gate and its holdout comparisons."""
    reasons: list[str] = []
    if gate_passed:
        reasons.append("The challenger's promotion gate passed.")
    else:
        failing = ", ".join(gate_failing) or "no verdict recorded"
        reasons.append(f"The challenger's promotion gate refused it (failing checks: {failing}).")
    if champion is None:
        reasons.append("There is no champion yet, so nothing to beat on the holdout.")
        verdict = "promote" if gate_passed else "reject"
        reasons.append("The challenger becomes the first champion." if gate_passed
                       else "No model is promoted.")
        return Decision(verdict, reasons)
    failed = []
    for metric in spec.decide_on:
        ok, sentence = _rule_holds(spec.require, metric, comparisons[metric])
        reasons.append(sentence)
        if not ok:
            failed.append(_WHAT[metric])
    if gate_passed and not failed:
        rule = "not shown worse" if spec.require == "not_worse" else "shown better"
        metrics = " and ".join(_WHAT[m] for m in spec.decide_on)
        reasons.append(f"The challenger replaces champion version {champion}: its gate passed and "
                       f"it is {rule} on {metrics}.")
        return Decision("promote", reasons)
    why = []
    if not gate_passed:
        why.append("its gate refused it")
    if failed:
        shown = "shown worse" if spec.require == "not_worse" else "not shown better"
        why.append(f"it is {shown} on {' and '.join(failed)}")
    reasons.append(f"Champion version {champion} stays: the challenger is not promoted because "
                   f"{' and '.join(why)}.")
    return Decision("reject", reasons)
