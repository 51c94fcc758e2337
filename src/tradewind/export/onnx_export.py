"""Export a bundle as one ONNX graph: raw feature window in, calibrated probabilities out.

The graph is :class:`~tradewind.export.wrapper.CalibratedModel` traced with
``torch.onnx.export``. Inputs: ``features`` float32 [batch, lookback, n_features] (raw,
un-normalised, bundle feature order) and, for bundles with side features, ``side``
float32 [batch, side_dim] (the raw side row of the window's last bar). Outputs:
``probabilities`` float32 [batch, classes] (calibrated) and ``logits`` float32 [batch,
classes] (uncalibrated model output). Only the batch axis is dynamic: the lookback is
fixed by the bundle (and the sLSTM loop is unrolled over it).

The default exporter is the TorchScript one (``dynamo=False``): on CPU it exports every
family in well under a second where the dynamo exporter needs 10-40 s for the recurrent
ones; ``exporter="dynamo"`` selects the latter. Every export is checked: ONNX Runtime
runs the file on a probe batch and must agree with PyTorch, else :class:`BundleError`.
"""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from tradewind.artifacts.bundle import Bundle
from tradewind.exceptions import BundleError
from tradewind.export.wrapper import CalibratedModel
from tradewind.extras import require

__all__ = [
    "ONNX_UNSUPPORTED",
    "Exporter",
    "export_onnx",
    "onnx_signature",
    "verify_onnx",
]

Exporter = Literal["torchscript", "dynamo"]

ONNX_UNSUPPORTED: dict[str, str] = {}
"""Model families that cannot be exported to ONNX, with the reason (none at present:
lstm, gru, bilstm_attention, transformer_lite, fnn, xlstm and tcn all export)."""

_DEFAULT_OPSET: dict[str, int] = {"torchscript": 17, "dynamo": 18}
VERIFY_TOLERANCE = 1e-5


def onnx_signature(model: CalibratedModel) -> dict[str, Any]:
    """Names, shapes and dtypes of the graph's inputs and outputs (``"batch"`` = dynamic)."""
    inputs = [{"name": "features", "dtype": "float32",
               "shape": ["batch", model.lookback, model.n_features]}]
    if model.side_dim:
        inputs.append({"name": "side", "dtype": "float32", "shape": ["batch", model.side_dim]})
    n_classes = int(model.model.n_classes)
    outputs = [
        {"name": "probabilities", "dtype": "float32", "shape": ["batch", n_classes]},
        {"name": "logits", "dtype": "float32", "shape": ["batch", n_classes]},
    ]
    return {"inputs": inputs, "outputs": outputs}


def _probe_inputs(model: CalibratedModel, batch: int, seed: int) -> dict[str, np.ndarray]:
    """Raw inputs spread like training data: centre + scale * N(0, 1.5) per feature."""
    rng = np.random.default_rng(seed)
    center = model.center.numpy()
    scale = model.scale.numpy()
    noise = rng.normal(0.0, 1.5, size=(batch, model.lookback, model.n_features))
    feeds = {"features": (center + scale * noise).astype(np.float32)}
    if model.side_dim:
        side_noise = rng.normal(0.0, 1.5, size=(batch, model.side_dim))
        feeds["side"] = (model.side_center.numpy() + model.side_scale.numpy() * side_noise).astype(
            np.float32
        )
    return feeds


def _torch_outputs(model: CalibratedModel, feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    with torch.inference_mode():
        args = [torch.from_numpy(feeds["features"])]
        if "side" in feeds:
            args.append(torch.from_numpy(feeds["side"]))
        probs, logits = model(*args)
    return probs.numpy(), logits.numpy()


def verify_onnx(
    path: Path, model: CalibratedModel, *, tolerance: float = VERIFY_TOLERANCE
) -> float:
    """Run ``path`` in ONNX Runtime on probe batches of 1 and 5 windows; return max |diff|.

    Raises :class:`BundleError` when ONNX Runtime and PyTorch disagree by more than
    ``tolerance`` on probabilities (absolute) or logits (relative to ``max(1, |logit|)``).
    """
    ort = require("onnxruntime", "checking an ONNX export")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # probe batches are tiny; spare a busy machine
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch, seed in ((1, 0), (5, 1)):
        feeds = _probe_inputs(model, batch, seed)
        got = session.run(["probabilities", "logits"], feeds)
        want = _torch_outputs(model, feeds)
        for name, g, w in zip(("probabilities", "logits"), got, want, strict=True):
            # probabilities: absolute; logits: relative to max(1, |logit|) (float32 outputs)
            denom = 1.0 if name == "probabilities" else np.maximum(1.0, np.abs(w))
            diff = float(np.max(np.abs(np.asarray(g) - w) / denom)) if w.size else 0.0
            if not np.isfinite(diff) or diff > tolerance:
                raise BundleError(
                    f"{path}: ONNX Runtime and PyTorch disagree on {name} for family "
                    f"{model.family!r} (max |diff| {diff:.3g} > {tolerance:g} at batch {batch}); "
                    "the graph is not faithful, do not deploy it; try the other exporter "
                    "('torchscript' or 'dynamo')"
                )
            worst = max(worst, diff)
    return worst


def _run_exporter(
    model: CalibratedModel, path: Path, exporter: Exporter, opset: int
) -> None:
    example = [torch.zeros(2, model.lookback, model.n_features, dtype=torch.float32)]
    names = ["features"]
    if model.side_dim:
        example.append(torch.zeros(2, model.side_dim, dtype=torch.float32))
        names.append("side")
    outputs = ["probabilities", "logits"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            batch = torch.export.Dim("batch")
            shapes: dict[str, Any] = {"features": {0: batch}}
            if model.side_dim:
                shapes["side"] = {0: batch}
            torch.onnx.export(
                model, tuple(example), str(path), input_names=names, output_names=outputs,
                opset_version=opset, dynamo=True, dynamic_shapes=shapes, verbose=False,
                external_data=False,
            )
        else:
            torch.onnx.export(
                model, tuple(example), str(path), input_names=names, output_names=outputs,
                opset_version=opset, dynamo=False,
                dynamic_axes={name: {0: "batch"} for name in (*names, *outputs)},
            )


def export_onnx(
    bundle: Bundle,
    path: str | Path,
    *,
    exporter: Exporter = "torchscript",
    opset: int | None = None,
    verify: bool = True,
) -> dict[str, Any]:
    """Write ``bundle`` as one ONNX graph at ``path`` and describe it.

    Returns the ``onnx`` section of the export manifest: file name, opset, exporter,
    inputs, outputs and (with ``verify``) ``verified_max_abs_diff`` against PyTorch.
    The file is written to a temporary name and renamed, so a failed export leaves
    nothing behind.

    Raises
    ------
    BundleError
        The family is in :data:`ONNX_UNSUPPORTED`, the exporter failed (the message names
        the family and the exporter's reason) or the graph disagrees with PyTorch.
    """
    path = Path(path)
    family = str(bundle.manifest.model.get("name", "?"))
    if family in ONNX_UNSUPPORTED:
        raise BundleError(
            f"model family {family!r} cannot be exported to ONNX: {ONNX_UNSUPPORTED[family]}. "
            "Export with format 'json' and serve the bundle with tradewind instead"
        )
    if exporter not in _DEFAULT_OPSET:
        raise BundleError(f"unknown ONNX exporter {exporter!r}; use 'torchscript' or 'dynamo'")
    opset = int(opset if opset is not None else _DEFAULT_OPSET[exporter])
    if exporter == "dynamo":
        require("onnxscript", "ONNX export with the dynamo exporter")
    if verify:
        require("onnxruntime", "checking an ONNX export")
    model = CalibratedModel(bundle)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        try:
            _run_exporter(model, tmp, exporter, opset)
        except Exception as err:  # the exporters raise many types; name them all for the user
            raise BundleError(
                f"model family {family!r} could not be exported to ONNX with the {exporter} "
                f"exporter (opset {opset}): {type(err).__name__}: {str(err)[:500]}"
            ) from err
        worst = verify_onnx(tmp, model) if verify else None
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return {
        "file": path.name,
        "opset": opset,
        "exporter": exporter,
        "torch_version": torch.__version__,
        "verified_max_abs_diff": worst,
        **onnx_signature(model),
    }
