"""``tradewind export``: a bundle as ONNX (normaliser + model + temperature in one graph) or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from tradewind.cli.common import console

__all__ = ["export"]


def export(
    bundle: Annotated[Path, typer.Argument(
        help="Bundle directory (from `tradewind run`); a run's bundle folder over several "
             "symbols (with universe.json) exports each symbol into its own folder.")],
    format_: Annotated[
        Literal["onnx", "json"],
        typer.Option("--format", help="onnx: model.onnx + scalers.json + manifest.json; json: the two JSON files."),
    ] = "onnx",
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("out/export"),
    exporter: Annotated[
        Literal["torchscript", "dynamo"], typer.Option(help="torch's ONNX exporter to use.")
    ] = "torchscript",
    symbol: Annotated[list[str] | None, typer.Option(
        "--symbol", help="With a bundle of several symbols: export only this one "
        "(repeatable); default every symbol.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", hidden=True)] = None,
) -> None:
    """Export a bundle for other runtimes; the ONNX graph is checked against PyTorch on export."""
    from tradewind.artifacts.universe import is_universe
    from tradewind.config import parse_overrides
    from tradewind.exceptions import ConfigError
    from tradewind.export import export_bundle, export_universe

    options = parse_overrides(set_ or [])  # the older spelling: --set exporter=dynamo
    unknown = sorted(set(options) - {"exporter"})
    if unknown:
        raise ConfigError(f"--set {unknown[0]!r}: export takes --exporter torchscript|dynamo")
    exporter = options.get("exporter", exporter)
    if exporter not in ("torchscript", "dynamo"):
        raise ConfigError(f"--set exporter={exporter!r}: use 'torchscript' or 'dynamo'")
    if not is_universe(bundle):
        if symbol:
            raise ConfigError(f"export --symbol: {bundle} is one bundle, not a run's bundle "
                              "folder over several symbols; leave --symbol out")
        for path in export_bundle(bundle, out, format_, exporter=exporter):
            console.print(f"wrote {path}")
        return
    for name, paths in export_universe(bundle, out, format_, symbols=symbol,
                                       exporter=exporter).items():
        console.print(f"{name}: wrote {', '.join(str(p) for p in paths)}", highlight=False)
    console.print(f"wrote {out / 'universe.json'}")
