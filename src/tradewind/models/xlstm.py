"""xLSTM classifier: a stack of mLSTM and sLSTM blocks (Beck et al., 2024; seed 001).

Path taken: our own compact implementation (cells in :mod:`tradewind.models.xlstm_cells`),
not the PyPI ``xlstm`` package. Its 2.0.6 wheel was read (pip download into /tmp, not
installed): it requires ``ninja`` and ``mlstm_kernels`` (whose kernels are Triton code),
its sLSTM fast path compiles CUDA at import time, and its blocks carry LM-sized machinery
(conv front-ends, headwise projections, large-model configs). The vanilla PyTorch paths
would run on a CPU, but the dependency weight is out of proportion for ~200 lines of
maths, and our cells are tested step by step against the paper's unstabilised recurrences.

Layout, for a window x [B, L, F] and H = hidden_size::

    Linear(F -> H)
    for each letter of ``blocks``:
      "m": x + Dropout(Linear(2H -> H)(GroupNorm_heads(mLSTM(a)) * SiLU(g))),
           (a, g) = Linear(H -> 4H)(LayerNorm(x))           pre-up-projection block
      "s": x + Dropout(GroupNorm_heads(sLSTM(LayerNorm(x))));
           x + Dropout(GatedFFN(LayerNorm(x)))  (GELU gate, width 4H/3)  post-up-projection block
    LayerNorm -> last step -> SideFusion -> Linear(., H) -> ReLU -> Dropout -> Linear(H, C)

Simplifications against the paper's blocks: no causal convolution in front of the q/k
(mLSTM) or i/f (sLSTM) inputs, and no learnable skip around the mLSTM cell. Everything
is causal in time (``sequence_features`` row t reads bars <= t). ONNX: the mLSTM block
exports for any lookback; the sLSTM loop is unrolled by export, fixing the lookback.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn import functional as F

from tradewind.models.base import SequenceClassifier, SideFusion, mlp_head
from tradewind.models.registry import register_model
from tradewind.models.specs import XLSTMSpec
from tradewind.models.xlstm_cells import MLSTMCell, SLSTMCell

__all__ = ["MLSTMBlock", "SLSTMBlock", "XLSTMClassifier"]


def _headwise_norm(norm: nn.GroupNorm, h: Tensor) -> Tensor:
    """GroupNorm with one group per head, applied to every step of h [B, L, W]."""
    return norm(h.reshape(-1, h.shape[-1])).view_as(h)


class MLSTMBlock(nn.Module):
    """Pre-up-projection residual block around an mLSTM cell (inner width 2H)."""

    def __init__(self, hidden_size: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        inner = 2 * hidden_size
        self.norm = nn.LayerNorm(hidden_size)
        self.up = nn.Linear(hidden_size, 2 * inner)
        self.cell = MLSTMCell(inner, inner, n_heads)
        self.cell_norm = nn.GroupNorm(n_heads, inner)
        self.down = nn.Linear(inner, hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        a, g = self.up(self.norm(x)).chunk(2, dim=-1)
        h = _headwise_norm(self.cell_norm, self.cell(a)) * F.silu(g)
        return x + self.dropout(self.down(h))


class SLSTMBlock(nn.Module):
    """Post-up-projection residual block: sLSTM cell, then a gated feed-forward net."""

    def __init__(self, hidden_size: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        ffn_width = max(1, round(4 * hidden_size / 3))
        self.norm = nn.LayerNorm(hidden_size)
        self.cell = SLSTMCell(hidden_size, hidden_size, n_heads)
        self.cell_norm = nn.GroupNorm(n_heads, hidden_size)
        self.ffn_norm = nn.LayerNorm(hidden_size)
        self.ffn_up = nn.Linear(hidden_size, 2 * ffn_width)
        self.ffn_down = nn.Linear(ffn_width, hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.dropout(_headwise_norm(self.cell_norm, self.cell(self.norm(x))))
        a, b = self.ffn_up(self.ffn_norm(x)).chunk(2, dim=-1)
        return x + self.dropout(self.ffn_down(F.gelu(a) * b))


@register_model("xlstm")
class XLSTMClassifier(SequenceClassifier):
    """Input projection -> xLSTM blocks (``spec.blocks``) -> LayerNorm -> last step -> head."""

    family = "xlstm"

    def __init__(self, spec: XLSTMSpec, n_features: int, n_classes: int, side_dim: int) -> None:
        super().__init__(n_features, n_classes, side_dim)
        h = spec.hidden_size
        self.input_proj = nn.Linear(n_features, h)
        self.blocks = nn.ModuleList(
            MLSTMBlock(h, spec.n_heads, spec.dropout)
            if kind == "m"
            else SLSTMBlock(h, spec.n_heads, spec.dropout)
            for kind in spec.blocks
        )
        self.final_norm = nn.LayerNorm(h)
        self.side = SideFusion(side_dim)
        self.head = mlp_head(self.side.out_features(h), h, n_classes, spec.dropout)

    def sequence_features(self, x: Tensor) -> Tensor:
        """Causal features [B, L, H]: row t depends on x[:, :t+1] only."""
        h = self.input_proj(x)
        for block in self.blocks:
            h = block(h)
        return self.final_norm(h)

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        self.check_inputs(x, side)
        return self.head(self.side(self.sequence_features(x)[:, -1, :], side))
