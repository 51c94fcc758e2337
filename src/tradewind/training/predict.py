"""Batched inference over windows addressed by end row, with optional TTA."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from tradewind.dataset.windows import Windows
from tradewind.exceptions import ConfigError
from tradewind.training.tta import TTA_TRANSFORMS, tta_log_probs

__all__ = ["model_device", "predict_logits"]


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def predict_logits(
    model: nn.Module,
    windows: Windows,
    ends: np.ndarray | torch.Tensor,
    *,
    side: torch.Tensor | None = None,
    batch_size: int = 4096,
    device: torch.device | str | None = None,
    tta: Sequence[str] = (),
) -> np.ndarray:
    """Logits [N, C] (float32) for the windows ending at ``ends`` (rows of the matrix).

    Runs in eval mode (the model's mode is restored afterwards) under ``inference_mode``,
    one gather per batch. ``side`` [T, S] is indexed by the same end rows. With ``tta``
    (names from ``identity``, ``zscore``, ``smooth``) the output is the log of the
    transforms' mean softmax, still valid logits for temperature scaling; without it the
    model's raw logits. ``device`` defaults to the model's.
    """
    unknown = [name for name in tta if name not in TTA_TRANSFORMS]
    if unknown:
        raise ConfigError(
            f"unknown TTA transform(s) {unknown}; choose from {sorted(TTA_TRANSFORMS)}"
        )
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    target = torch.device(device) if device is not None else model_device(model)
    ends_t = torch.as_tensor(np.asarray(ends, dtype=np.int64) if not isinstance(ends, torch.Tensor)
                             else ends.to(torch.long))
    if ends_t.numel() == 0:
        probe = torch.as_tensor(windows.valid_ends()[:1])
        n_classes = _run(model, windows, probe, side, target, tta).shape[1] if probe.numel() else 0
        return np.zeros((0, n_classes), dtype=np.float32)
    was_training = model.training
    model.eval()
    try:
        outs = [
            _run(model, windows, ends_t[i : i + batch_size], side, target, tta).cpu()
            for i in range(0, ends_t.numel(), batch_size)
        ]
    finally:
        model.train(was_training)
    return torch.cat(outs).numpy()


def _run(
    model: nn.Module,
    windows: Windows,
    ends: torch.Tensor,
    side: torch.Tensor | None,
    device: torch.device,
    tta: Sequence[str],
) -> torch.Tensor:
    with torch.inference_mode():
        x = windows.gather(ends).to(device, dtype=torch.float32, non_blocking=True)
        s = None
        if side is not None:
            s = side[ends.to(side.device)].to(device, dtype=torch.float32, non_blocking=True)

        def forward(inputs: torch.Tensor) -> torch.Tensor:
            return model(inputs) if s is None else model(inputs, s)

        if tta:
            return tta_log_probs(forward, x, tta)
        return forward(x).float()
