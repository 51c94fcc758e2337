"""Temporal convolutional network (Bai, Kolter & Koltun, 2018) with causal dilated convolutions.

Block i has two Conv1d layers of kernel k and dilation 2**i, each padded on the left only
by (k - 1) * 2**i, so the output at step t reads inputs at steps <= t (tested: changing
input after t leaves the features at t unchanged). Each block is
conv -> ReLU -> Dropout -> conv -> ReLU -> Dropout, plus a residual (1x1 conv when the
channel count changes), then ReLU. The last step's features go through SideFusion and
Linear(c, c) -> ReLU -> Dropout -> Linear(c, C).

Receptive field: 1 + 2 * (k - 1) * (2**n_blocks - 1) bars (``receptive_field``); a
lookback shorter than that leaves the oldest taps reading left padding (zeros).
ONNX: Pad + Conv export at opset 17.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn import functional as F

from tradewind.models.base import SequenceClassifier, SideFusion, mlp_head
from tradewind.models.registry import register_model
from tradewind.models.specs import TCNSpec

__all__ = ["CausalConv1d", "TCNClassifier", "TemporalBlock"]


class CausalConv1d(nn.Module):
    """Conv1d on [B, C, L] with left padding (k - 1) * dilation: output t sees inputs <= t."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, dilation: int
    ) -> None:
        super().__init__()
        self.left_pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, (self.left_pad, 0)))


class TemporalBlock(nn.Module):
    """Two causal convolutions with ReLU and dropout, plus a residual connection."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, dropout: float
    ) -> None:
        super().__init__()
        self.net = nn.Sequential(
            CausalConv1d(in_channels, out_channels, kernel_size, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
            CausalConv1d(out_channels, out_channels, kernel_size, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.residual = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.net(x) + self.residual(x))


@register_model("tcn")
class TCNClassifier(SequenceClassifier):
    """Stack of causal temporal blocks; the last step's features feed the head."""

    family = "tcn"

    def __init__(self, spec: TCNSpec, n_features: int, n_classes: int, side_dim: int) -> None:
        super().__init__(n_features, n_classes, side_dim)
        blocks: list[nn.Module] = []
        width = n_features
        for i, channels in enumerate(spec.channels):
            blocks.append(TemporalBlock(width, channels, spec.kernel_size, 2**i, spec.dropout))
            width = channels
        self.blocks = nn.Sequential(*blocks)
        self.receptive_field = 1 + 2 * (spec.kernel_size - 1) * (2 ** len(spec.channels) - 1)
        self.side = SideFusion(side_dim)
        self.head = mlp_head(self.side.out_features(width), width, n_classes, spec.dropout)

    def sequence_features(self, x: Tensor) -> Tensor:
        """Causal features [B, L, channels[-1]]: row t depends on x[:, :t+1] only."""
        return self.blocks(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        self.check_inputs(x, side)
        return self.head(self.side(self.sequence_features(x)[:, -1, :], side))
