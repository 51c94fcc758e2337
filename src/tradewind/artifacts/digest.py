"""What a model *is*, as one sha256: its manifest and its weights, not where it is stored.

Two bundles trained on the same candles share a data fingerprint; they never share this
digest unless their manifest and every weight are equal. A loaded bundle and the
in-memory bundle it was saved from have the same digest. The live signal log records it
per row, so a log never mixes two models' signals without saying so.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import torch

from tradewind.artifacts.bundle import Bundle

__all__ = ["bundle_digest", "predictor_digest"]


def bundle_digest(bundle: Bundle) -> str:
    """sha256 over the manifest (canonical JSON) and every weight (name, dtype, shape, bytes)."""
    digest = hashlib.sha256()
    manifest = json.dumps(bundle.manifest.model_dump(mode="json"), sort_keys=True)
    digest.update(manifest.encode("utf-8"))
    for name, tensor in sorted(bundle.model.state_dict().items()):
        value = tensor.detach().cpu().contiguous()
        digest.update(f"\n{name}:{value.dtype}:{tuple(value.shape)}\n".encode())
        if value.numel():
            digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def predictor_digest(predictor: Any) -> str:
    """:func:`bundle_digest` of a bundle; of an ensemble, sha256 of its members' digests
    and weights in order (the same members with other weights are another model)."""
    if isinstance(predictor, Bundle):
        return bundle_digest(predictor)
    members = getattr(predictor, "bundles", None)
    weights = getattr(predictor, "weights", None)
    if members is None or weights is None:
        raise TypeError(f"no digest for {type(predictor).__name__}: expected a Bundle or Ensemble")
    parts = [f"{bundle_digest(b)}:{float(w)!r}" for b, w in zip(members, weights, strict=True)]
    return hashlib.sha256(("ensemble\n" + "\n".join(parts)).encode()).hexdigest()
