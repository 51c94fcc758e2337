"""``tradewind models list`` and ``tradewind promote``: the MLflow registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tradewind.cli.common import FormatOption, SetOption, console, print_json, print_table

__all__ = ["app", "promote"]

app = typer.Typer(no_args_is_help=True)

OptionalExperiment = Annotated[
    Path | None,
    typer.Argument(metavar="EXPERIMENT", show_default=False,
                   help="Experiment YAML whose registry section to use (default: runs/)."),
]
LegacyConfig = Annotated[Path | None, typer.Option("--config", hidden=True)]
SymbolOption = Annotated[str | None, typer.Option(
    help="A run over several symbols registers a model per symbol "
    "(<registry.model_name>-<SYMBOL>): use this symbol's.")]


def _registry(config: Path | None, pairs: list[str] | None, symbol: str | None = None):
    from tradewind.artifacts.registry import Registry
    from tradewind.config import (
        RegistrySpec,
        apply_overrides,
        parse_overrides,
        read_yaml,
        validate_section,
    )

    raw = read_yaml(config).get("registry", {}) if config else {}
    overrides = {
        key.removeprefix("registry."): value for key, value in parse_overrides(pairs or []).items()
    }
    spec = validate_section(RegistrySpec, apply_overrides(raw or {}, overrides), str(config or "--set"))
    name = spec.model_name
    if symbol is not None:
        from tradewind.pipeline.universe import symbol_model_name

        name = symbol_model_name(name, symbol)
    return Registry(spec.tracking_uri, root=Path(spec.root), model_name=name)


@app.command("list", help="Show model versions, aliases, key metrics and gate verdicts.")
def list_cmd(
    experiment: OptionalExperiment = None,
    symbol: SymbolOption = None,
    set_: SetOption = None,
    format_: FormatOption = "table",
    config: LegacyConfig = None,
) -> None:
    versions = _registry(experiment or config, set_, symbol).list_versions()
    if format_ == "json":
        print_json(versions)
        return
    rows = [
        (r.version, ", ".join(r.aliases), f"{r.created:%Y-%m-%d %H:%M}", _f(r.mcc),
         _f(r.mcc_ci_low), _f(r.ece), _gate(r), (r.run_id or "")[:8])
        for r in versions
    ]
    columns = ["ver", "aliases", "created (UTC)", "MCC", "CI low", "ECE", "gate", "run"]
    print_table("Model versions", columns, rows,
                no_wrap=[c for c in columns if c != "aliases"])
    for row in versions:
        if row.gate_passed is False:
            console.print(f"version {row.version} refused by: {', '.join(row.gate_failing)}"
                          + (" (promoted by override)" if row.overridden else ""),
                          highlight=False)


def promote(
    version: Annotated[str, typer.Argument(help="Model version number or MLflow run id.")],
    experiment: OptionalExperiment = None,
    symbol: SymbolOption = None,
    override: Annotated[
        str | None, typer.Option(help="Promote although the gate failed; the reason is recorded.")
    ] = None,
    set_: SetOption = None,
    config: LegacyConfig = None,
) -> None:
    """Move alias 'champion' to a version whose gate passed (or with --override REASON)."""
    record = _registry(experiment or config, set_, symbol).promote(version,
                                                                    override_reason=override)
    console.print(f"champion → version {record.version}"
                  + (f" (override: {override})" if override else ""))


def _gate(row: Any) -> str:
    """pass, REFUSED (the failing checks are listed under the table) or ? (no verdict)."""
    if row.gate_passed is None:
        return "?"
    return "pass" if row.gate_passed else "REFUSED"


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
