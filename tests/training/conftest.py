"""Tiny models and planted data for the training tests (no dependency on tradewind.models)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from tradewind.dataset.windows import Windows
from tradewind.training import TrainingData


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny tensors run faster (and steadier on a shared 2-core box) on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class LastBarMLP(nn.Module):
    """Logits from the window's last bar (plus side inputs when given)."""

    def __init__(self, n_features: int, n_classes: int, hidden: int = 16, side_dim: int = 0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features + side_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_classes)
        )

    def forward(self, x: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        h = x[:, -1]
        if side is not None:
            h = torch.cat([h, side], dim=-1)
        return self.net(h)


class TinyGRU(nn.Module):
    """A one-layer GRU over the whole window, with dropout (exercises the global RNG)."""

    def __init__(self, n_features: int, n_classes: int, hidden: int = 8):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        out, _ = self.gru(x)
        return self.head(self.drop(out[:, -1]))


class AuxMLP(LastBarMLP):
    """A LastBarMLP with an auxiliary regression head."""

    has_aux_head = True

    def __init__(self, n_features: int, n_classes: int, hidden: int = 16):
        super().__init__(n_features, n_classes, hidden)
        self.aux = nn.Linear(n_features, 1)

    def forward_with_aux(
        self, x: torch.Tensor, side: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward(x, side), self.aux(x[:, -1]).squeeze(-1)


@pytest.fixture
def tiny_models() -> dict[str, type[nn.Module]]:
    return {"mlp": LastBarMLP, "gru": TinyGRU, "aux": AuxMLP}


def planted(
    n_rows: int = 1200, n_features: int = 3, lookback: int = 4, n_classes: int = 3, seed: int = 0
) -> TrainingData:
    """Labels read off the sign pattern of the last bar: learnable to ~100 %."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(np.float32)
    if n_classes == 2:
        y = (X[:, 0] > 0).astype(np.int64)
    else:
        y = np.digitize(X[:, 0], [-0.45, 0.45]).astype(np.int64)
    windows = Windows(X, lookback)
    ends = windows.valid_ends()
    n_train = int(len(ends) * 0.7)
    return TrainingData(
        windows=windows,
        y=torch.from_numpy(y),
        train_ends=ends[:n_train],
        val_ends=ends[n_train:],
        n_classes=n_classes,
    )


@pytest.fixture
def planted_data() -> TrainingData:
    return planted()


@pytest.fixture
def make_planted():
    """The ``planted`` factory, for tests that need other sizes or class counts."""
    return planted
