"""A learned symbol embedding around any family, for a model pooled over several symbols.

:class:`SymbolEmbedding` holds ``nn.Embedding(n_symbols, dim)`` and an inner family built
for ``F + dim`` features: the window's symbol vector is appended to every bar, so the
inner model reads ``[B, L, F + dim]`` whatever it does with the bars (the FNN reads the
last one, the recurrent and convolutional nets all of them).

Where the symbol comes from:

- ``symbol_index=None`` (training and the walk-forward folds, where a batch mixes
  symbols): the side input's **last column** holds each window's series id (a float
  holding an integer ``0 .. n_symbols - 1``); the columns before it, if any, are the
  inner model's side features. This rides on the side path every trainer, predictor and
  importance measure already feeds, so none of them needed a second input.
- ``symbol_index=i`` (a bundle serving symbol ``i``): the call is the plain
  ``model(x)`` / ``model(x, side)`` of every family, and row ``i`` of the same shared
  table is used, so ``Bundle.predict_proba``, the server, the live loop and the ONNX
  export see an ordinary model.

The weights (``embedding.weight`` and ``inner.*``) do not depend on ``symbol_index``: a
pooled run saves the same state dict in every symbol's bundle.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tradewind.models.base import SequenceClassifier
from tradewind.models.specs import SymbolEmbeddingSpec

__all__ = ["SymbolEmbedding"]


class SymbolEmbedding(SequenceClassifier):
    """``forward(x [B, L, F], side) -> logits [B, C]``; see the module docstring.

    ``side_dim`` is the width of the side input this module takes: the inner model's
    side width, plus one id column when ``symbol_index`` is None.
    """

    family = "symbol_embedding"

    def __init__(self, inner: SequenceClassifier, spec: SymbolEmbeddingSpec,
                 n_features: int) -> None:
        fixed = spec.index is not None
        super().__init__(n_features, inner.n_classes, inner.side_dim + (0 if fixed else 1))
        self.inner = inner
        self.embedding = nn.Embedding(len(spec.symbols), spec.dim)
        self.symbols = tuple(spec.symbols)
        self.symbol_index = spec.index
        self.has_aux_head = bool(getattr(inner, "has_aux_head", False))

    def _joined(self, x: Tensor, side: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """``x`` with the symbol vector appended to every bar, and the inner model's side."""
        self.check_inputs(x, side)
        if self.symbol_index is not None:
            vector = self.embedding.weight[self.symbol_index].expand(x.shape[0], -1)
        else:
            assert side is not None  # check_inputs: side_dim >= 1 needs a side input
            vector = self.embedding(side[:, -1].long())
            side = side[:, :-1] if side.shape[1] > 1 else None
        steps = vector.to(x.dtype).unsqueeze(1).expand(-1, x.shape[1], -1)
        return torch.cat([x, steps], dim=-1), side

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        joined, inner_side = self._joined(x, side)
        return self.inner(joined, inner_side)

    def forward_with_aux(self, x: Tensor, side: Tensor | None = None) -> tuple[Tensor, Tensor]:
        joined, inner_side = self._joined(x, side)
        return self.inner.forward_with_aux(joined, inner_side)

    def extra_repr(self) -> str:
        which = "id from side[:, -1]" if self.symbol_index is None else (
            f"symbol {self.symbols[self.symbol_index]!r}")
        return f"{super().extra_repr()}, symbols={len(self.symbols)}, {which}"
