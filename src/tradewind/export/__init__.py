"""Deployable exports of a model bundle: one ONNX graph plus plain-JSON scalers and manifest.

>>> from tradewind.export import export_bundle
>>> export_bundle(Path("runs/x/bundle"), Path("out/x"), "onnx")  # doctest: +SKIP
[PosixPath('out/x/model.onnx'), PosixPath('out/x/scalers.json'), PosixPath('out/x/manifest.json')]

The graph takes the raw feature window and returns calibrated probabilities, so the
normaliser and the temperature cannot be left behind (see ``docs/EXPORT.md``).
"""

from tradewind.export.bundle_export import (
    MANIFEST_FILE,
    ONNX_FILE,
    SCALERS_FILE,
    export_bundle,
    export_universe,
)
from tradewind.export.documents import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    SCALERS_FORMAT,
    export_manifest,
    scalers_document,
)
from tradewind.export.onnx_export import ONNX_UNSUPPORTED, Exporter, export_onnx, verify_onnx
from tradewind.export.wrapper import CalibratedModel

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "MANIFEST_FILE",
    "ONNX_FILE",
    "ONNX_UNSUPPORTED",
    "SCALERS_FILE",
    "SCALERS_FORMAT",
    "CalibratedModel",
    "Exporter",
    "export_bundle",
    "export_manifest",
    "export_onnx",
    "export_universe",
    "scalers_document",
    "verify_onnx",
]
