"""``tradewind export``: a bundle as ONNX (normaliser + model + temperature in one graph) or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from tradewind.cli.common import SetOption, console

__all__ = ["export"]


def export(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory (from `tradewind run`).")],
    format_: Annotated[
        Literal["onnx", "json"],
        typer.Option("--format", help="onnx: model.onnx + scalers.json + manifest.json; json: the two JSON files."),
    ] = "onnx",
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("out/export"),
    set_: SetOption = None,
) -> None:
    """Export a bundle for other runtimes; the ONNX graph is checked against PyTorch on export.

    ``--set exporter=dynamo`` uses torch's dynamo exporter instead of TorchScript.
    """
    from tradewind.config import parse_overrides
    from tradewind.exceptions import ConfigError
    from tradewind.export import export_bundle

    options = parse_overrides(set_ or [])
    unknown = sorted(set(options) - {"exporter"})
    if unknown:
        raise ConfigError(f"--set {unknown[0]!r}: export accepts only 'exporter' (torchscript|dynamo)")
    exporter = options.get("exporter", "torchscript")
    if exporter not in ("torchscript", "dynamo"):
        raise ConfigError(f"--set exporter={exporter!r}: use 'torchscript' or 'dynamo'")
    for path in export_bundle(bundle, out, format_, exporter=exporter):
        console.print(f"wrote {path}")
