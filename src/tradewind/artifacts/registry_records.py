"""Plain records and pure helpers of the registry: what gets logged and how it reads back.

Nothing here touches MLflow, so it is cheap to import and easy to test.
"""

from __future__ import annotations

import getpass
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tradewind.exceptions import ConfigError

__all__ = [
    "CANDIDATE",
    "CHAMPION",
    "PromotionRecord",
    "RunRecord",
    "VersionRow",
    "as_number",
    "check_gate",
    "epoch_metric_rows",
    "flatten",
    "now_utc",
    "oos_metric_rows",
    "param_value",
    "refusal_message",
    "user_name",
]

CANDIDATE, CHAMPION = "candidate", "champion"


@dataclass(frozen=True)
class RunRecord:
    """What :meth:`Registry.log_run` created: the run and the model version of its bundle."""

    run_id: str
    model_name: str
    version: str
    artifact_uri: str


@dataclass(frozen=True)
class PromotionRecord:
    """What :meth:`Registry.promote` did; ``overridden`` when the gate had refused."""

    model_name: str
    version: str
    run_id: str | None
    previous_champion: str | None
    gate_passed: bool
    overridden: bool
    override_reason: str | None
    override_by: str | None
    override_at: str | None
    promoted_by: str
    promoted_at: str


@dataclass(frozen=True)
class VersionRow:
    """One registered version, as ``tradewind models list`` shows it."""

    version: str
    run_id: str | None
    aliases: tuple[str, ...]
    created: datetime
    mcc: float | None
    mcc_ci_low: float | None
    accuracy: float | None
    ece: float | None
    gate_passed: bool | None
    gate_failing: tuple[str, ...]
    overridden: bool


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings → ``{"a.b.c": leaf}``; lists stay leaves."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for key, val in obj.items():
            out.update(flatten(val, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: obj}


def as_number(value: Any) -> float | None:
    """A real number as float (numpy scalars too); None for anything else."""
    if isinstance(value, bool) or not hasattr(value, "__float__") or isinstance(value, str):
        return None
    return float(value)


def param_value(value: Any) -> str:
    """A parameter as MLflow stores it: strings as-is, the rest as JSON, cut at 6,000 chars."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 6000 else text[:5997] + "..."


def epoch_metric_rows(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, int]]:
    """``(key, value, step)`` per numeric leaf; key ``fold<k>.<name>``, step = ``epoch``."""
    out = []
    for i, row in enumerate(rows):
        fold, step = row.get("fold"), row.get("epoch", i)
        prefix = f"fold{int(fold)}." if fold is not None else ""
        for key, val in flatten({k: v for k, v in row.items() if k not in ("fold", "epoch")}).items():
            leaves = enumerate(val) if isinstance(val, list | tuple) else [(None, val)]
            for j, leaf in leaves:
                number = as_number(leaf)
                if number is not None:
                    out.append((f"{prefix}{key}" + ("" if j is None else f".{j}"), number, int(step)))
    return out


def oos_metric_rows(metrics: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``oos.<name>``; an interval under ``<name>_ci`` becomes ``<name>_ci_low`` / ``_ci_high``."""
    out = []
    for key, val in metrics.items():
        if isinstance(val, list | tuple) and len(val) == 2 and key.endswith("_ci"):
            out += [(f"oos.{key}_low", val[0]), (f"oos.{key}_high", val[1])]
        else:
            out.append((f"oos.{key}", val))
    checked = []
    for key, val in out:
        number = as_number(val)
        if number is None:
            raise TypeError(f"out-of-sample metric {key!r} must be a number (or a [lo, hi] pair "
                            f"under a '_ci' key), got {val!r}")
        checked.append((key, number))
    return checked


def check_gate(gate: Mapping[str, Any]) -> tuple[bool, list[Mapping[str, Any]]]:
    """Validate a gate verdict dict; return ``(passed, failing checks)``.

    A verdict that says passed while a check failed is refused: it would let a
    model through that its own gate turned down.
    """
    passed, checks = gate.get("passed"), gate.get("checks")
    if not isinstance(passed, bool) or not isinstance(checks, list):
        raise ConfigError(f"gate must be {{'passed': bool, 'checks': [...]}}, got keys {sorted(gate)}")
    bad = [c for c in checks if not isinstance(c, Mapping) or "name" not in c or "passed" not in c]
    if bad:
        raise ConfigError(f"every gate check needs 'name' and 'passed'; these do not: {bad[:3]}")
    failing = [str(c["name"]) for c in checks if not c["passed"]]
    if passed and failing:
        raise ConfigError(f"gate says passed but these checks failed: {', '.join(failing)}")
    return passed, [c for c in checks if not c["passed"]]


def _fmt(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    number = as_number(value)
    if number is not None and math.isfinite(number):
        return f"{number:.4g}"
    return str(value)


def _check_line(check: Mapping[str, Any]) -> str:
    line = (f"  - {check.get('name')}: value {_fmt(check.get('value'))}, "
            f"threshold {_fmt(check.get('threshold'))}")
    return line + (f" ({check['detail']})" if check.get("detail") else "")


def now_utc() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def user_name(user: str | None) -> str:
    """``user`` if given, else the login name (``unknown`` where there is none)."""
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def refusal_message(model_name: str, version: str, run_id: str | None, tags: Mapping[str, str]) -> str:
    """Why ``promote`` refused: the failing checks (name, value, threshold) and how to override."""
    why = ("failed the promotion gate" if "gate_passed" in tags
           else "has no recorded gate verdict (it was not logged by tradewind)")
    lines = [f"promotion refused: model {model_name!r} version {version} (run {run_id}) "
             f"{why}, so alias '{CHAMPION}' was not moved."]
    if "gate_passed" in tags:
        lines.append("Failing checks:")
        try:
            checks = [c for c in json.loads(tags.get("gate_checks", "[]")) if not c.get("passed")]
        except (json.JSONDecodeError, AttributeError, TypeError):
            checks = []
        names = [n for n in tags.get("gate_failing", "").split(",") if n]
        lines += [_check_line(c) for c in checks] or [f"  - {n}" for n in names]
    lines.append(
        "To promote it anyway, give a reason; it is recorded with your user name and the time "
        f"in the version's tags: Registry.promote({version!r}, override_reason='...') or "
        f"`tradewind promote {version} --override '...'`.")
    return "\n".join(lines)
