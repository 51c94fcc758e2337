"""``tradewind export``: a bundle as ONNX (normaliser + model + temperature in one graph) or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from tradewind.cli.common import console

__all__ = ["export"]


def export(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory (from `tradewind run`).")],
    format_: Annotated[
        Literal["onnx", "json"],
        typer.Option("--format", help="onnx: model.onnx + scalers.json + manifest.json; json: the two JSON files."),
    ] = "onnx",
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("out/export"),
) -> None:
    """Export a bundle for other runtimes; the ONNX graph is checked against PyTorch on export."""
    from tradewind.export import export_bundle

    for path in export_bundle(bundle, out, format_):
        console.print(f"wrote {path}")
