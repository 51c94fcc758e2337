"""The preset catalogue: experiment files under ``presets/`` that rebuild the seed systems.

A preset is an ordinary experiment YAML whose first comment line names the system it
rebuilds (``# Preset: ...``). Listing validates every file, so a broken preset shows up
here and not half-way through a long run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tradewind.config import load_experiment
from tradewind.exceptions import ConfigError

__all__ = ["PresetInfo", "list_presets"]


@dataclass(frozen=True)
class PresetInfo:
    """One preset file, validated, and its last full-settings result if one is on disk."""

    path: Path
    title: str
    model: str
    teacher: str | None
    source: str
    labels: str
    measured: str | None  # "REFUSED, MCC +0.041 [+0.014, +0.070]" from the last run's report


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# Preset:"):
            return line.removeprefix("# Preset:").strip()
    return ""


def _measured(report: Path) -> str | None:
    if not report.is_file():
        return None
    data = json.loads(report.read_text(encoding="utf-8"))
    oos, gate = data["oos"], data["gate"]
    lo, hi = oos.get("mcc_ci") or (float("nan"), float("nan"))
    verdict = "PASSED" if gate["passed"] else "REFUSED"
    return f"{verdict}, MCC {oos['mcc']:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def list_presets(
    directory: str | Path = "presets",
    runs: str | Path = "out/presets",
    *,
    overrides: Sequence[str] = (),
) -> list[PresetInfo]:
    """Validate and describe every ``*.yaml`` in ``directory``, sorted by file name.

    ``overrides`` are ``--set`` pairs applied to each preset before validation;
    ``runs/<stem>/report.json`` (as written by ``make presets``) supplies the measured column.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(
            f"{directory}: preset directory not found; run from the repository root or pass "
            "--dir PATH"
        )
    out = []
    for path in sorted(directory.glob("*.yaml")):
        exp = load_experiment(path, list(overrides))
        labels = f"{exp.labels.kind}, h={exp.labels.horizon}"
        out.append(PresetInfo(
            path=path,
            title=_title(path),
            model=exp.model.name,
            teacher=None if exp.teacher is None else exp.teacher.model.name,
            source=", ".join(item.source for item in exp.data.series()),
            labels=labels,
            measured=_measured(Path(runs) / path.stem / "report.json"),
        ))
    return out
