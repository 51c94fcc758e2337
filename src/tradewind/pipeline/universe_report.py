"""The report of a run over several series: the pooled data summary and the universe
section (every symbol's own judgement and verdict, and the headline naming who passes)."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.config import Experiment, SeriesSource
from tradewind.evaluation import GateVerdict
from tradewind.pipeline.prepare import Prepared
from tradewind.report.schema import (
    DataSummary,
    ExperimentReport,
    Finding,
    ModeComparison,
    SymbolReport,
    UniverseSection,
)

__all__ = ["pooled_data_summary", "symbol_section", "universe_section"]

POOLED_ROWS = (
    "every symbol's out-of-sample rows together; intervals from moving blocks of timestamps "
    "resampled jointly across symbols (the rows of all symbols at one time move together); "
    "each row's baselines are its own symbol's; the backtest is the equal-risk portfolio of "
    "the symbols' fitted policies, each after its own costs."
)


def symbol_section(report: ExperimentReport) -> SymbolReport:
    """The parts of a symbol's own report that its universe section keeps."""
    keep = ("data", "oos", "baselines", "diagnostics", "gate", "folds", "calibration",
            "backtest", "policy", "importance", "bundle", "registry")
    return SymbolReport(**{key: getattr(report, key) for key in keep})


def pooled_data_summary(
    prep: Prepared, universe: Sequence[tuple[SeriesSource, object]],
    symbols: dict[str, SymbolReport],
) -> DataSummary:
    """The top-level ``data`` section: every series' sources, symbols, rows and findings."""
    parts = list(symbols.values())
    findings = [
        Finding(level=f.level, code=f.code, message=f"{name}: {f.message}")
        for name, section in symbols.items() for f in section.data.findings
    ]
    return DataSummary(
        source=", ".join(item.source for item, _ in universe),
        symbol=", ".join(item.name for item, _ in universe),
        timeframe=prep.timeframe,
        rows=sum(p.data.rows for p in parts),
        first=min(p.data.first for p in parts),
        last=max(p.data.last for p in parts),
        fingerprint=prep.fingerprint,
        findings=findings,
    )


def universe_section(exp: Experiment, symbols: dict[str, SymbolReport],
                     pooled: GateVerdict,
                     comparison: ModeComparison | None = None) -> UniverseSection:
    """The ``universe`` section and its headline (and the modes' comparison, when made)."""
    passed = [name for name, section in symbols.items() if section.gate.passed]
    refused = [name for name in symbols if name not in passed]
    who = ", ".join(passed) if passed else "none"
    headline = (f"{len(passed)} of {len(symbols)} symbols pass their own gate ({who}"
                f"{'; refused: ' + ', '.join(refused) if refused and passed else ''}); "
                f"pooled: {'passed' if pooled.passed else 'refused'} "
                f"({exp.universe.mode} model{'s' if exp.universe.mode == 'per_symbol' else ''})")
    return UniverseSection(mode=exp.universe.mode, symbols=symbols, passed=passed,
                           pooled_rows=POOLED_ROWS, headline=headline, comparison=comparison)
