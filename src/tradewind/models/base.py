"""What every tradewind model shares: the forward contract, input checks and head parts.

Contract (checked by ``tests/models/test_models_contract.py`` for every registered family)

- ``forward(x [B, L, F], side [B, S] | None = None) -> logits [B, C]``; ``x[:, -1]`` is
  the window's last (most recent) bar. Never a softmax/sigmoid inside: probabilities
  exist only after calibration.
- ``side`` is an optional per-window vector (e.g. seed 000's 33 strategy signals + 8
  static SMC features). Built with ``side_dim > 0``, a model projects it through a small
  MLP (:class:`SideFusion`) and concatenates it to the pooled features before the head;
  built with ``side_dim == 0``, passing ``side`` raises :class:`ConfigError`.
- ``has_aux_head`` is True only for models with a forward-return regression head, which
  then also provide ``forward_with_aux(x, side) -> (logits [B, C], aux [B])``.
- Modules are pure architecture: no training logic, no normalisation, no temperature.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from tradewind.exceptions import ConfigError, SchemaMismatchError

__all__ = ["SIDE_WIDTH", "SequenceClassifier", "SideFusion", "mlp_head"]

SIDE_WIDTH = 32
"""Width of the side-input projection concatenated before every head."""


class SideFusion(nn.Module):
    """Project a side vector [B, S] with a two-layer MLP and append it to features [B, D].

    With ``side_dim == 0`` it is the identity on the features and has no parameters.
    """

    def __init__(self, side_dim: int, width: int = SIDE_WIDTH) -> None:
        super().__init__()
        self.side_dim = int(side_dim)
        self.width = int(width) if side_dim > 0 else 0
        self.proj: nn.Module | None = None
        if self.side_dim > 0:
            self.proj = nn.Sequential(
                nn.Linear(self.side_dim, self.width),
                nn.GELU(),
                nn.Linear(self.width, self.width),
                nn.GELU(),
            )

    def out_features(self, in_features: int) -> int:
        """Width of the fused vector for ``in_features`` pooled features."""
        return in_features + self.width

    def forward(self, features: Tensor, side: Tensor | None) -> Tensor:
        if self.proj is None or side is None:
            return features
        return torch.cat([features, self.proj(side)], dim=-1)


def mlp_head(in_features: int, hidden: int, n_out: int, dropout: float) -> nn.Sequential:
    """Two-layer head: Linear -> ReLU -> Dropout -> Linear (raw outputs, no squashing)."""
    return nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, n_out),
    )


class SequenceClassifier(nn.Module):
    """Base of every family: stores the shapes and checks inputs against them.

    Subclasses set ``family`` and implement ``forward``; they call :meth:`check_inputs`
    first so a wrong feature count or side input fails with a message that says what to
    change instead of a shape error deep inside a layer.
    """

    family: ClassVar[str] = ""
    has_aux_head: bool = False

    def __init__(self, n_features: int, n_classes: int, side_dim: int) -> None:
        super().__init__()
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.side_dim = int(side_dim)

    def check_inputs(self, x: Tensor, side: Tensor | None) -> None:
        """Raise if ``x`` is not [B, L, n_features] or ``side`` does not match ``side_dim``."""
        if x.dim() != 3 or x.shape[-1] != self.n_features:
            raise SchemaMismatchError(
                f"{self.family}: expected x of shape [batch, lookback, {self.n_features}], "
                f"got {tuple(x.shape)}; pass windows built from the same feature set the "
                "model was built for"
            )
        if side is None:
            if self.side_dim > 0:
                raise SchemaMismatchError(
                    f"{self.family}: built with side_dim={self.side_dim} but called without "
                    "side; pass side of shape [batch, side_dim]"
                )
            return
        if self.side_dim == 0:
            raise ConfigError(
                f"{self.family}: got a side input of shape {tuple(side.shape)} but the model "
                "was built with side_dim=0; build it with side_dim=<width> or pass side=None"
            )
        if side.dim() != 2 or side.shape[-1] != self.side_dim:
            raise SchemaMismatchError(
                f"{self.family}: expected side of shape [batch, {self.side_dim}], "
                f"got {tuple(side.shape)}"
            )

    def forward_with_aux(self, x: Tensor, side: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Logits and the auxiliary regression output; only for ``has_aux_head`` models."""
        raise ConfigError(
            f"{self.family}: this model has no auxiliary head (has_aux_head=False); "
            "call forward(), or build bilstm_attention with multitask=true"
        )

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, n_classes={self.n_classes}, side_dim={self.side_dim}"
