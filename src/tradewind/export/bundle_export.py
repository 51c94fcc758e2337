"""``export_bundle``: a bundle directory in, deployable files out (what the CLI calls)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tradewind.artifacts.bundle import load_bundle
from tradewind.data.atomic import file_sha256, write_json_atomic
from tradewind.exceptions import BundleError
from tradewind.export.documents import export_manifest, scalers_document
from tradewind.export.onnx_export import Exporter, export_onnx

__all__ = ["MANIFEST_FILE", "ONNX_FILE", "SCALERS_FILE", "export_bundle"]

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
