"""Stacked (Bi)GRU classifier: the LSTM family's body with ``nn.GRU`` (3 gates, not 4).

Summary, head, side input and parameter formula are those of
:mod:`tradewind.models.lstm` with G = 3. ONNX: ``nn.GRU`` exports to the opset-17 GRU op.
"""

from __future__ import annotations

from tradewind.models.lstm import RecurrentClassifier
from tradewind.models.registry import register_model
from tradewind.models.specs import GRUSpec

__all__ = ["GRUClassifier"]


@register_model("gru")
class GRUClassifier(RecurrentClassifier):
    """(Bi)GRU classifier; see :mod:`tradewind.models.lstm`."""

    family = "gru"

    def __init__(self, spec: GRUSpec, n_features: int, n_classes: int, side_dim: int) -> None:
        super().__init__(spec, n_features, n_classes, side_dim, cell="gru")
