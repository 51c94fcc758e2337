"""The run's last step when ``export.format`` is set: the bundle as files other runtimes load.

Seed 002's TypeScript bot broke whenever the Python scaler (a pickle) was not converted
by hand; here the run itself writes the ONNX graph (normaliser, model and calibration in
one graph, checked against PyTorch) and ``scalers.json`` next to the bundle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tradewind.config import Experiment
from tradewind.export import MANIFEST_FILE, export_bundle

__all__ = ["export_run_bundle"]


def export_run_bundle(exp: Experiment, bundle_path: Path, out_dir: Path) -> dict[str, Any] | None:
    """Export ``bundle_path`` as ``exp.export`` asks; None when no format is set.

    Returns the report's ``export`` section: format, folder, files and, for ONNX, the
    largest absolute difference from PyTorch found by the export's own check.

    Raises
    ------
    BundleError
        The family cannot be exported to ONNX, or the graph disagrees with PyTorch.
    """
    spec = exp.export
    if spec.format is None:
        return None
    target = Path(out_dir) / spec.dir
    files = export_bundle(bundle_path, target, spec.format, exporter=spec.exporter)
    manifest = json.loads((target / MANIFEST_FILE).read_text(encoding="utf-8"))
    onnx = manifest.get("onnx") or {}
    return {
        "format": spec.format,
        "dir": str(target),
        "files": [p.name for p in files],
        "onnx_exporter": onnx.get("exporter"),
        "onnx_opset": onnx.get("opset"),
        "onnx_max_abs_diff": onnx.get("verified_max_abs_diff"),
    }
