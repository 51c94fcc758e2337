"""The JSON half of an export: ``scalers.json`` and ``manifest.json``.

``scalers.json`` holds what a client needs to turn its own feature rows into the model's
inputs and the model's logits into calibrated probabilities: feature order, lookback,
normaliser kind, centres, scales and clip, side normaliser, calibration and classes.
``manifest.json`` describes the export: where it came from (bundle, package version,
data fingerprint), the feature and label specs, warm-up bars and, next to an ONNX
graph, the graph's inputs and outputs. Both are plain JSON (no NaN, no pickle); the
schema is documented field by field in ``docs/EXPORT.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tradewind import __version__
from tradewind.artifacts.bundle import Bundle
from tradewind.dataset import Normalizer

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "SCALERS_FORMAT",
    "export_manifest",
    "scalers_document",
]

SCALERS_FORMAT = "tradewind.scalers"
EXPORT_FORMAT = "tradewind.export"
EXPORT_VERSION = 1


def _normalizer_section(norm: Normalizer, names: list[str]) -> dict[str, Any]:
    return {
        "names": list(names),
        "kind": norm.kind,
        "clip": norm.clip,
        "center": [float(v) for v in norm.center_],
        "scale": [float(v) for v in norm.scale_],
        "formula": (
            "x_norm = (x - center) / scale"
            + ("" if norm.clip is None else f", then clipped to [-{norm.clip:g}, {norm.clip:g}]")
        ),
    }


def _calibration_section(bundle: Bundle) -> dict[str, Any]:
    state = bundle.calibrator.to_dict()
    method = str(state["method"])
    section: dict[str, Any] = {"method": method, "temperature": None, "weights": None, "bias": None}
    if method == "temperature":
        section["temperature"] = float(state["temperature"])
        section["formula"] = "probabilities = softmax(logits / temperature)"
    elif method == "vector":
        section["weights"] = [float(v) for v in state["weights"]]
        section["bias"] = [float(v) for v in state["bias"]]
        section["formula"] = "probabilities = softmax(weights * logits + bias)"
    else:
        section["formula"] = "probabilities = softmax(logits)"
    return section


def scalers_document(bundle: Bundle) -> dict[str, Any]:
    """The ``scalers.json`` document for ``bundle`` (format ``tradewind.scalers``, version 1)."""
    manifest = bundle.manifest
    side = None
    if manifest.side_names and bundle.side_normalizer is not None:
        side = _normalizer_section(bundle.side_normalizer, manifest.side_names)
    return {
        "format": SCALERS_FORMAT,
        "version": EXPORT_VERSION,
        "lookback": int(manifest.lookback),
        "warmup_bars": int(manifest.warmup_bars),
        "min_candles": int(manifest.warmup_bars + manifest.lookback),
        "classes": list(manifest.classes),
        "features": _normalizer_section(bundle.normalizer, manifest.feature_names),
        "side": side,
        "tta": list(manifest.tta),
        "calibration": _calibration_section(bundle),
    }


def export_manifest(
    bundle: Bundle,
    files: dict[str, str],
    onnx: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``manifest.json`` document: provenance, specs and the files it describes.

    ``files`` maps each exported file name to its sha256; ``onnx`` describes the graph
    (file, opset, exporter, inputs, outputs) or is ``None`` for a JSON-only export.
    """
    manifest = bundle.manifest
    data = dict(manifest.data)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "name": manifest.name,
        "family": str(manifest.model.get("name", "")),
        "tradewind_version": manifest.tradewind_version,
        "exported_with": __version__,
        "bundle_created_at": manifest.created_at,
        "exported_at": datetime.now(UTC).isoformat(),
        "bundle_schema_version": manifest.schema_version,
        "model": dict(manifest.model),
        "symbol_embedding": manifest.symbol_embedding,
        "feature_spec": dict(manifest.features),
        "label_spec": dict(manifest.labels),
        "lookback": int(manifest.lookback),
        "warmup_bars": int(manifest.warmup_bars),
        "min_candles": int(manifest.warmup_bars + manifest.lookback),
        "classes": list(manifest.classes),
        "feature_names": list(manifest.feature_names),
        "side_names": list(manifest.side_names),
        "tta": list(manifest.tta),
        "data": data,
        "data_fingerprint": str(data.get("fingerprint", "")),
        "metrics": dict(manifest.metrics),
        "gate": dict(manifest.gate),
        "onnx": onnx,
        "files": dict(sorted(files.items())),
    }
