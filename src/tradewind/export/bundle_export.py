"""``export_bundle``: a bundle directory in, deployable files out (what the CLI calls)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from tradewind.artifacts.bundle import load_bundle
from tradewind.artifacts.universe import read_universe_index, write_universe_index
from tradewind.data.atomic import file_sha256, write_json_atomic
from tradewind.exceptions import BundleError
from tradewind.export.documents import export_manifest, scalers_document
from tradewind.export.onnx_export import Exporter, export_onnx

__all__ = ["MANIFEST_FILE", "ONNX_FILE", "SCALERS_FILE", "export_bundle", "export_universe"]

ONNX_FILE = "model.onnx"
SCALERS_FILE = "scalers.json"
MANIFEST_FILE = "manifest.json"


def export_bundle(
    bundle_path: Path,
    out_dir: Path,
    fmt: Literal["onnx", "json"],
    *,
    exporter: Exporter = "torchscript",
    verify: bool = True,
) -> list[Path]:
    """Export the bundle at ``bundle_path`` into ``out_dir``; return the files written.

    ``fmt="onnx"`` writes ``model.onnx`` (raw features -> calibrated probabilities, see
    :func:`~tradewind.export.onnx_export.export_onnx`), ``scalers.json`` and
    ``manifest.json``; ``fmt="json"`` writes only the two JSON files. The bundle's
    checksums are verified on load; existing files of the same names are replaced.

    Raises
    ------
    BundleError
        Unknown ``fmt``, an invalid bundle, or a model that cannot be exported to ONNX.
    """
    if fmt not in ("onnx", "json"):
        raise BundleError(f"unknown export format {fmt!r}; use 'onnx' or 'json'")
    bundle = load_bundle(bundle_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    onnx_info = None
    if fmt == "onnx":
        onnx_path = out_dir / ONNX_FILE
        onnx_info = export_onnx(bundle, onnx_path, exporter=exporter, verify=verify)
        written.append(onnx_path)
    scalers_path = write_json_atomic(out_dir / SCALERS_FILE, scalers_document(bundle))
    written.append(scalers_path)
    files = {p.name: file_sha256(p) for p in written}
    if onnx_info is not None:
        onnx_info["sha256"] = files[ONNX_FILE]
    manifest_path = write_json_atomic(out_dir / MANIFEST_FILE, export_manifest(bundle, files, onnx_info))
    written.append(manifest_path)
    return written


def export_universe(
    universe_path: Path,
    out_dir: Path,
    fmt: Literal["onnx", "json"],
    *,
    symbols: Sequence[str] | None = None,
    exporter: Exporter = "torchscript",
    verify: bool = True,
) -> dict[str, list[Path]]:
    """Export every symbol's bundle of a run over several symbols (the folder that
    ``universe.json`` indexes), or only ``symbols``; return symbol → files written.

    Each symbol's files go to ``out_dir/<folder>/`` (the bundle's own folder names), as
    :func:`export_bundle` writes them, and ``out_dir/universe.json`` maps each exported
    symbol to its folder in the bundle index's format, so a client picks a symbol's graph
    the way ``serve`` picks its bundle. Every symbol asked for is checked before anything
    is written, and the index is written last: a failed export leaves no index naming a
    folder it did not finish.
    """
    index = read_universe_index(universe_path)
    chosen = list(dict.fromkeys(symbols)) if symbols else index.symbols
    folders = {symbol: index.folder(symbol) for symbol in chosen}
    out_dir = Path(out_dir)
    written = {symbol: export_bundle(folder, out_dir / index.folders[symbol], fmt,
                                     exporter=exporter, verify=verify)
               for symbol, folder in folders.items()}
    write_universe_index(out_dir, index.mode, index.timeframe,
                         {symbol: index.folders[symbol] for symbol in chosen})
    return written
