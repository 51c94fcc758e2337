"""BiLSTM + multi-head scaled dot-product self-attention (seed 002), optionally multi-task.

Layout, for a window x [B, L, F] and W = 2 * hidden_size::

    BiLSTM(F -> H per direction, num_layers)               -> s [B, L, W]
    s = LayerNorm(s + Dropout(MultiheadAttention(s, s, s)))    attention block
    s = LayerNorm(s + Dropout(FFN(s)))                         FFN: W -> 2W -> W, GELU
    pooled = concat(s[:, -1], mean over L of s)             -> [B, 2W]
    logits = head(SideFusion(pooled, side))                 -> [B, C]
    aux    = aux_head(SideFusion(pooled, side))             -> [B]   (multitask only)

Attention is over the whole window (no causal mask): every bar in a window ending at bar
e is <= e, so nothing from after e is visible. With ``multitask`` the second head
regresses the forward return (the trainer weights its loss by ``training.aux_weight``).
ONNX: ``nn.MultiheadAttention`` and ``nn.LSTM`` export
at opset 17.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tradewind.models.base import SequenceClassifier, SideFusion, mlp_head
from tradewind.models.registry import register_model
from tradewind.models.specs import BiLSTMAttentionSpec

__all__ = ["BiLSTMAttentionClassifier"]


@register_model("bilstm_attention")
class BiLSTMAttentionClassifier(SequenceClassifier):
    """BiLSTM -> self-attention block -> feed-forward block -> (last + mean) pooling -> head."""

    family = "bilstm_attention"

    def __init__(
        self, spec: BiLSTMAttentionSpec, n_features: int, n_classes: int, side_dim: int
    ) -> None:
        super().__init__(n_features, n_classes, side_dim)
        width = 2 * spec.hidden_size
        self.has_aux_head = spec.multitask
        self.lstm = nn.LSTM(
            input_size=n_features,
            hidden_size=spec.hidden_size,
            num_layers=spec.num_layers,
            batch_first=True,
            dropout=spec.dropout if spec.num_layers > 1 else 0.0,
            bidirectional=True,
        )
        self.attention = nn.MultiheadAttention(
            width, spec.n_heads, dropout=spec.dropout, batch_first=True
        )
        self.attention_norm = nn.LayerNorm(width)
        self.ffn = nn.Sequential(
            nn.Linear(width, 2 * width),
            nn.GELU(),
            nn.Dropout(spec.dropout),
            nn.Linear(2 * width, width),
        )
        self.ffn_norm = nn.LayerNorm(width)
        self.dropout = nn.Dropout(spec.dropout)
        self.side = SideFusion(side_dim)
        fused = self.side.out_features(2 * width)
        self.head = mlp_head(fused, spec.hidden_size, n_classes, spec.dropout)
        self.aux_head = (
            mlp_head(fused, spec.hidden_size, 1, spec.dropout) if spec.multitask else None
        )

    def sequence_features(self, x: Tensor) -> Tensor:
        """Per-step features [B, L, 2H] after the attention and feed-forward blocks."""
        s, _ = self.lstm(x)
        attended, _ = self.attention(s, s, s, need_weights=False)
        s = self.attention_norm(s + self.dropout(attended))
        return self.ffn_norm(s + self.dropout(self.ffn(s)))

    def _fused(self, x: Tensor, side: Tensor | None) -> Tensor:
        self.check_inputs(x, side)
        s = self.sequence_features(x)
        pooled = torch.cat([s[:, -1, :], s.mean(dim=1)], dim=-1)
        return self.side(pooled, side)

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        return self.head(self._fused(x, side))

    def forward_with_aux(self, x: Tensor, side: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Logits [B, C] and the forward-return regression [B] (multitask models only)."""
        if self.aux_head is None:
            return super().forward_with_aux(x, side)
        fused = self._fused(x, side)
        return self.head(fused), self.aux_head(fused).squeeze(-1)
