"""``tradewind models list`` and ``tradewind promote``: the MLflow registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tradewind.cli.common import SetOption, console, table

__all__ = ["app", "promote"]

app = typer.Typer(no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Experiment YAML whose registry section to use.")
]


def _registry(config: Path | None, pairs: list[str] | None):
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
    return Registry(spec.tracking_uri, root=Path(spec.root), model_name=spec.model_name)


@app.command("list", help="Show model versions, aliases, key metrics and gate verdicts.")
def list_cmd(config: ConfigOption = None, set_: SetOption = None) -> None:
    registry = _registry(config, set_)
    rows = [
        (r.version, ",".join(r.aliases), f"{r.created:%Y-%m-%d %H:%M}", _f(r.mcc),
         _f(r.mcc_ci_low), _f(r.accuracy), _f(r.ece), _gate(r), (r.run_id or "")[:8])
        for r in registry.list_versions()
    ]
    console.print(table("Model versions", ["ver", "aliases", "created (UTC)", "MCC", "CI low",
                                           "acc", "ECE", "gate", "run"], rows))


def promote(
    version: Annotated[str, typer.Argument(help="Model version number or MLflow run id.")],
    override: Annotated[
        str | None, typer.Option(help="Promote although the gate failed; the reason is recorded.")
    ] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Move alias 'champion' to a version whose gate passed (or with --override REASON)."""
    record = _registry(config, set_).promote(version, override_reason=override)
    console.print(f"champion → version {record.version}"
                  + (f" (override: {override})" if override else ""))


def _gate(row: Any) -> str:
    if row.gate_passed is None:
        return "?"
    text = "pass" if row.gate_passed else "REFUSED " + ",".join(row.gate_failing)
    return text + (" (overridden)" if row.overridden else "")


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
