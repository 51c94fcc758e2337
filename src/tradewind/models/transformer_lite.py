"""Small Transformer encoder over the window (seed 000's "GoldenBreezeLite" sizes).

Layout, for a window x [B, L, F]::

    Linear(F -> d_model) + sinusoidal positional encoding      -> [B, L, d]
    (pooling == "cls": a learned token is prepended           -> [B, L+1, d])
    TransformerEncoder(n_layers, n_heads, dim_feedforward, post-norm, batch_first)
    pooling: "last" -> step L-1 | "mean" -> mean over steps | "cls" -> the token
    SideFusion(side) -> Linear(., d) -> GELU -> Dropout -> Linear(d, C)

Seed 000 fed 33 strategy signals + 8 static SMC features next to the sequence; here that
is ``side_dim=41`` at build time. Positions are computed in ``forward`` for the actual L,
so any lookback works; position 0 is the window's oldest bar. Attention is unmasked inside
the window (all its bars are <= the window's end). ONNX: everything exports at opset 17
(the encoder layer is built with ``enable_nested_tensor=False`` so no nested-tensor path).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from tradewind.models.base import SequenceClassifier, SideFusion
from tradewind.models.registry import register_model
from tradewind.models.specs import TransformerLiteSpec

__all__ = ["TransformerLiteClassifier", "sinusoidal_encoding"]


def sinusoidal_encoding(length: int, d_model: int, inv_freq: Tensor) -> Tensor:
    """Positional encoding [length, d_model] (Vaswani et al.): sin on even, cos on odd dims."""
    position = torch.arange(length, dtype=inv_freq.dtype, device=inv_freq.device)
    angles = position[:, None] * inv_freq[None, :]  # [L, ceil(d/2)]
    pe = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).flatten(1)
    return pe[:, :d_model]


@register_model("transformer_lite")
class TransformerLiteClassifier(SequenceClassifier):
    """Input projection + positional encoding -> TransformerEncoder -> pooling -> head."""

    family = "transformer_lite"

    def __init__(
        self, spec: TransformerLiteSpec, n_features: int, n_classes: int, side_dim: int
    ) -> None:
        super().__init__(n_features, n_classes, side_dim)
        d = spec.d_model
        self.d_model = d
        self.pooling = spec.pooling
        self.input_proj = nn.Linear(n_features, d)
        inv_freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.cls_token = (
            nn.Parameter(torch.randn(1, 1, d) * 0.02) if spec.pooling == "cls" else None
        )
        layer = nn.TransformerEncoderLayer(
            d_model=d,
            nhead=spec.n_heads,
            dim_feedforward=spec.dim_feedforward,
            dropout=spec.dropout,
            activation="gelu",
            batch_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, spec.n_layers, enable_nested_tensor=False)
        self.input_dropout = nn.Dropout(spec.dropout)
        self.side = SideFusion(side_dim)
        self.head = nn.Sequential(
            nn.Linear(self.side.out_features(d), d),
            nn.GELU(),
            nn.Dropout(spec.dropout),
            nn.Linear(d, n_classes),
        )

    def sequence_features(self, x: Tensor) -> Tensor:
        """Encoder output [B, L, d] (or [B, L+1, d] with the cls token first)."""
        h = self.input_proj(x) + sinusoidal_encoding(x.shape[1], self.d_model, self.inv_freq)
        if self.cls_token is not None:
            h = torch.cat([self.cls_token.expand(h.shape[0], -1, -1), h], dim=1)
        return self.encoder(self.input_dropout(h))

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        self.check_inputs(x, side)
        h = self.sequence_features(x)
        if self.pooling == "mean":
            pooled = h.mean(dim=1)
        elif self.pooling == "last":
            pooled = h[:, -1, :]
        else:
            pooled = h[:, 0, :]
        return self.head(self.side(pooled, side))
