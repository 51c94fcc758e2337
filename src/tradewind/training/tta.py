"""Test-time augmentation for windows [B, L, F]: average probabilities, return their log.

Transforms (seed 001's "balanced TTA"): ``identity``; ``zscore`` standardises each
window over time and features together; ``smooth`` applies a Gaussian kernel
(sigma 1 bar, radius 2) along time with edge replication. Every transform sees only
the window itself (bars up to its end row), so none looks past the bar predicted from.
The log of the averaged softmax is a valid logit vector (softmax of it gives the
average back), so temperature scaling can still be fitted on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

__all__ = ["TTA_TRANSFORMS", "gaussian_smooth", "tta_log_probs", "window_zscore"]


def window_zscore(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(x - mean) / std over each window's time and feature axes (dims 1 and 2)."""
    mean = x.mean(dim=(1, 2), keepdim=True)
    std = x.std(dim=(1, 2), keepdim=True, unbiased=False)
    return (x - mean) / (std + eps)


def gaussian_smooth(x: torch.Tensor, sigma: float = 1.0, radius: int = 2) -> torch.Tensor:
    """Gaussian smoothing along time (dim 1) of [B, L, F], edges replicated."""
    if x.shape[1] < 2:
        return x
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    b, length, f = x.shape
    channels = x.permute(0, 2, 1).reshape(b * f, 1, length)
    padded = F.pad(channels, (radius, radius), mode="replicate")
    out = F.conv1d(padded, kernel.view(1, 1, -1))
    return out.view(b, f, length).permute(0, 2, 1)


TTA_TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda x: x,
    "smooth": gaussian_smooth,
    "zscore": window_zscore,
}


def tta_log_probs(
    forward: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    transforms: Sequence[str],
) -> torch.Tensor:
    """log(mean over transforms of softmax(forward(transform(x)))) [B, C].

    With one transform this is exactly ``log_softmax(forward(transform(x)))``.
    """
    log_ps = []
    for name in transforms:
        logits = forward(TTA_TRANSFORMS[name](x)).float()
        log_ps.append(F.log_softmax(logits, dim=-1))
    if len(log_ps) == 1:
        return log_ps[0]
    return torch.logsumexp(torch.stack(log_ps), dim=0) - math.log(len(log_ps))
