"""Feed-forward net on the window's last bar (seed 004's 256 -> 128 -> 64 -> C net).

Only ``x[:, -1, :]`` (the most recent bar) is read, so lookback does not change the net.
Each hidden layer is Linear -> BatchNorm1d (if ``batchnorm``) -> ReLU -> Dropout; then
SideFusion and a final Linear(last hidden, C). Seed 004's V7 put a StandardScaler and a
temperature inside the model; here normalisation lives in the bundle's normaliser and the
temperature in calibration, so this module is architecture only.

Parameter count, for widths h_0 = F, h_1..h_k = ``hidden``::

    sum_i (h_{i-1} * h_i + h_i) + (2 * h_i if batchnorm) + h_k * C + C

BatchNorm needs batches of 2+ rows in training mode (PyTorch raises otherwise); in eval
mode it uses its running statistics. ONNX: Linear/BatchNorm/ReLU export at opset 17.
"""

from __future__ import annotations

from torch import Tensor, nn

from tradewind.models.base import SequenceClassifier, SideFusion
from tradewind.models.registry import register_model
from tradewind.models.specs import FNNSpec

__all__ = ["FNNClassifier"]


@register_model("fnn")
class FNNClassifier(SequenceClassifier):
    """MLP over the last bar's features; see the module docstring."""

    family = "fnn"

    def __init__(self, spec: FNNSpec, n_features: int, n_classes: int, side_dim: int) -> None:
        super().__init__(n_features, n_classes, side_dim)
        layers: list[nn.Module] = []
        width = n_features
        for hidden in spec.hidden:
            layers.append(nn.Linear(width, hidden))
            if spec.batchnorm:
                layers.append(nn.BatchNorm1d(hidden))
            layers += [nn.ReLU(), nn.Dropout(spec.dropout)]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.side = SideFusion(side_dim)
        self.head = nn.Linear(self.side.out_features(width), n_classes)

    def forward(self, x: Tensor, side: Tensor | None = None) -> Tensor:
        self.check_inputs(x, side)
        return self.head(self.side(self.body(x[:, -1, :]), side))
