"""The promotion gate's verdict as the deploying commands see it, and who may deploy a refusal.

``serve``, ``signal`` and ``live`` start only on a bundle whose gate passed (the manifest
records the verdict), on a registry version a person promoted with an audited override
(``tradewind promote VERSION --override REASON`` writes ``override_reason`` to its tags),
or when the operator says ``--allow-refused``. Either way every signal carries the
verdict (``gate_passed`` and, when overridden, ``override_reason``), so a consumer of the
signals can tell a model with a demonstrated edge from one that is run regardless.
A bundle whose manifest records no verdict counts as refused, as it does for promotion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tradewind.exceptions import GateRefused

__all__ = ["BundleVerdict", "admit", "bundle_verdict", "combined_verdict"]


@dataclass(frozen=True)
class BundleVerdict:
    """The gate's verdict on a bundle, and the override that lets a refused one run.

    ``recorded`` is False when the manifest holds no verdict; ``failing`` names the
    checks that failed; ``override_reason`` is the reason an audited registry override
    recorded (or None); ``allowed_refused`` says the operator passed ``--allow-refused``.
    """

    gate_passed: bool
    recorded: bool = True
    failing: tuple[str, ...] = ()
    override_reason: str | None = None
    allowed_refused: bool = False

    @property
    def signal_fields(self) -> dict[str, Any]:
        """The fields every signal carries: ``gate_passed`` and ``override_reason``."""
        return {"gate_passed": self.gate_passed, "override_reason": self.override_reason}


def bundle_verdict(bundle: Any, *, override_reason: str | None = None) -> BundleVerdict:
    """The verdict recorded in ``bundle.manifest.gate`` (``{"passed": ..., "checks": [...]}``).

    ``bundle`` may also be an ensemble (anything with ``bundles``): its members' verdicts
    combined by :func:`combined_verdict`.
    """
    members = getattr(bundle, "bundles", None)
    if members is not None:
        joined = combined_verdict([bundle_verdict(b) for b in members])
        reason = (override_reason or "").strip() or None
        if joined.gate_passed or reason is None:
            return joined
        return BundleVerdict(gate_passed=False, recorded=joined.recorded, failing=joined.failing,
                             override_reason=reason)
    gate = bundle.manifest.gate or {}
    passed = gate.get("passed")
    failing = tuple(str(c.get("name", "?")) for c in gate.get("checks", [])
                    if isinstance(c, dict) and not c.get("passed", False))
    reason = (override_reason or "").strip() or None
    return BundleVerdict(gate_passed=passed is True, recorded=passed is not None,
                         failing=failing, override_reason=None if passed is True else reason)


def combined_verdict(verdicts: Sequence[BundleVerdict]) -> BundleVerdict:
    """An ensemble's verdict: passed only when every member passed; failing checks joined."""
    failing = tuple(dict.fromkeys(name for v in verdicts for name in v.failing))
    reasons = [v.override_reason for v in verdicts if v.override_reason]
    return BundleVerdict(
        gate_passed=all(v.gate_passed for v in verdicts),
        recorded=all(v.recorded for v in verdicts), failing=failing,
        override_reason="; ".join(dict.fromkeys(reasons)) or None,
    )


def admit(verdict: BundleVerdict, *, allow_refused: bool, what: str) -> BundleVerdict:
    """``verdict`` when ``what`` may be deployed; :class:`GateRefused` naming the way out if not.

    A passed gate, an audited override or ``allow_refused`` admit it; ``allowed_refused``
    is set on the returned verdict when only the last did.
    """
    if verdict.gate_passed or verdict.override_reason:
        return verdict
    if allow_refused:
        return BundleVerdict(gate_passed=False, recorded=verdict.recorded, failing=verdict.failing,
                             override_reason=None, allowed_refused=True)
    why = (f"its gate refused it (failing checks: {', '.join(verdict.failing) or 'not listed'})"
           if verdict.recorded else "its manifest records no gate verdict")
    raise GateRefused(
        f"{what}: {why}. A refused model has shown no edge worth trading. To run it anyway, "
        "pass --allow-refused (every signal then says gate_passed=false), or promote the "
        "registry version with `tradewind promote VERSION --override REASON` and use it from "
        "the registry."
    )
