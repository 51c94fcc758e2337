"""Stacked (Bi)LSTM classifier (seed 003's 128 x 3 bidirectional net) and its GRU twin.

The window [B, L, F] runs through ``nn.LSTM`` (``batch_first``, dropout between layers).
The summary vector is the output at the last step; for a bidirectional net it is the
forward direction at step L-1 concatenated with the backward direction at step 0, the
two positions where each direction has read the whole window. (Taking ``out[:, -1]`` for
both would give the backward direction after a single bar.) The summary goes through
:class:`~tradewind.models.base.SideFusion` and a two-layer head
Linear(D*H, head_hidden) -> ReLU -> Dropout -> Linear(head_hidden, C).

A bidirectional net is not causal *inside* the window; that is fine because a window
ending at bar e only holds bars <= e. Parameter count, for H = hidden_size, D = 2 if
bidirectional else 1, gates G = 4 (LSTM) or 3 (GRU)::

    sum over layers l: D * G * (H * in_l + H * H + 2 * H),  in_0 = F, in_l = D * H
    + D * H * head_hidden + head_hidden + head_hidden * C + C

ONNX: ``nn.LSTM``/``nn.GRU`` export to the opset-17 LSTM/GRU ops.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from tradewind.models.base import SequenceClassifier, SideFusion, mlp_head
from tradewind.models.registry import register_model
from tradewind.models.specs import GRUSpec, LSTMSpec

__all__ = ["LSTMClassifier", "RecurrentClassifier"]


class RecurrentClassifier(SequenceClassifier):
    """Shared body of the LSTM and GRU families (``cell`` picks ``nn.LSTM`` or ``nn.GRU``)."""

    def __init__(
        self,
        spec: LSTMSpec | GRUSpec,
        n_features: int,
        n_classes: int,
        side_dim: int,
        cell: Literal["lstm", "gru"],
    ) -> None:
        super().__init__(n_features, n_classes, side_dim)
        rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
        self.hidden_size = spec.hidden_size
        self.bidirectional = spec.bidirectional
        self.rnn = rnn_cls(
            input_size=n_features,
            hidden_size=spec.hidden_size,
            num_layers=spec.num_layers,
            batch_first=True,
            dropout=spec.dropout if spec.num_layers > 1 else 0.0,
            bidirectional=spec.bidirectional,
        )
        summary = spec.hidden_size * (2 if spec.bidirectional else 1)
        self.side = SideFusion(side_dim)
        self.head = mlp_head(
            self.side.out_features(summary),
            spec.head_hidden or spec.hidden_size,
            n_classes,
            spec.dropout,
        )

    def summary(self, x: Tensor) -> Tensor:
        """Summary vector [B, D*H] of a window batch x [B, L, F]."""
        out, _ = self.rnn(x)
        if not self.bidirectional:
            return out[:, -1, :]
        h = self.hidden_size
        return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=-1)

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        self.check_inputs(x, side)
        return self.head(self.side(self.summary(x), side))


@register_model("lstm")
class LSTMClassifier(RecurrentClassifier):
    """(Bi)LSTM classifier; see the module docstring."""

    family = "lstm"

    def __init__(self, spec: LSTMSpec, n_features: int, n_classes: int, side_dim: int) -> None:
        super().__init__(spec, n_features, n_classes, side_dim, cell="lstm")
