"""What the trainer records and shares with callbacks: typed dataclasses, no dicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

__all__ = ["EpochRecord", "FitResult", "TrainState"]


@dataclass(frozen=True)
class EpochRecord:
    """Metrics of one epoch (``epoch`` counts from 1); validation values are NaN without
    validation rows. ``pred_shares[c]`` is the share of validation windows predicted as c,
    ``mean_max_prob`` the mean of the largest softmax probability (a confidence gauge),
    ``lr`` the learning rate of the epoch's first batch, ``time`` seconds spent."""

    epoch: int
    train_loss: float
    val_loss: float
    val_mcc: float
    val_accuracy: float
    lr: float
    pred_shares: tuple[float, ...]
    mean_max_prob: float
    time: float
    class_factors: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        out = asdict(self)
        out["pred_shares"] = list(self.pred_shares)
        out["class_factors"] = list(self.class_factors)
        return out


@dataclass
class FitResult:
    """What ``fit`` returns: the model (best weights restored when asked) and its history.

    ``best_epoch`` is the epoch whose weights the model holds when ``restore_best`` is on
    (the last epoch without validation rows); ``stopped_epoch`` the last epoch run.
    ``aux_scale`` is the standard deviation the auxiliary targets were divided by
    (multiply the aux head's output by it to get returns back); 1.0 when unused.
    """

    model: nn.Module
    history: list[EpochRecord]
    best_epoch: int
    stopped_epoch: int
    aux_scale: float = 1.0
    class_weights: tuple[float, ...] = ()


@dataclass
class TrainState:
    """The trainer's live state as callbacks see it.

    Callbacks may set ``stop`` to end training after the current epoch and replace
    ``class_factors`` [C] (multipliers of the loss's class weights, on the training device).
    ``loss`` is the last batch's loss as a device tensor (``.item()`` forces a sync).
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    n_classes: int
    epochs: int
    class_factors: torch.Tensor
    label_shares: tuple[float, ...]
    epoch: int = 0
    batch: int = 0
    n_batches: int = 0
    loss: torch.Tensor | None = None
    record: EpochRecord | None = None
    history: list[EpochRecord] = field(default_factory=list)
    stop: bool = False
