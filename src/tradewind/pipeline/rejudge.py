"""Judge a finished run's evidence again under another gate, without retraining.

``report.json`` keeps every number the gate reads (intervals, baselines, diagnostics, the
backtest's Sharpe interval), so "would this run pass with ``max_ece: 0.05``?" or "what did
it fail besides the backtest?" needs no new run. A verdict reached here is for reading:
promotion still goes by the verdict recorded in the bundle when the run ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradewind.config import apply_overrides, parse_overrides, validate_section
from tradewind.evaluation import GateSpec, GateVerdict, evaluate_gate
from tradewind.exceptions import ConfigError, DataError
from tradewind.pipeline.evidence import gate_evidence
from tradewind.report import ExperimentReport, load_report

__all__ = ["Rejudged", "rejudge"]


@dataclass(frozen=True)
class Rejudged:
    """The same evidence under the run's own gate (with ``overrides``) and as recorded."""

    report: ExperimentReport
    spec: GateSpec
    verdict: GateVerdict
    recorded_passed: bool
    overrides: dict[str, Any]
    symbols: dict[str, GateVerdict] = field(default_factory=dict)  # several series: each one's


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
    verdict = evaluate_gate(spec, gate_evidence(report))
    symbols = {} if report.universe is None else {
        name: evaluate_gate(spec, gate_evidence(section))
        for name, section in report.universe.symbols.items()
    }
    return Rejudged(report=report, spec=spec, verdict=verdict,
                    recorded_passed=bool(report.gate.passed), overrides=pairs, symbols=symbols)
