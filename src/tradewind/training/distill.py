"""Distillation inputs: the teacher's logits on the training windows, computed once.

``fit`` distils when ``TrainSpec.distillation`` is set and ``TrainingData.teacher_logits``
holds the teacher's logits aligned with ``train_ends`` (row i = window ``train_ends[i]``);
the loss is ``losses.distillation_loss`` (alpha * hard + (1 - alpha) * T^2 * KL). The
teacher never runs during training, so its cost is one inference pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from tradewind.training.data import TrainingData
from tradewind.training.predict import predict_logits

__all__ = ["teacher_logits"]


def teacher_logits(
    teacher: nn.Module,
    data: TrainingData,
    *,
    batch_size: int = 4096,
    device: torch.device | str | None = None,
    tta: Sequence[str] = (),
) -> np.ndarray:
    """The teacher's logits [len(data.train_ends), C] for ``TrainingData.teacher_logits``.

    The teacher must take the same inputs (matrix, lookback, side) as the student.
    """
    return predict_logits(
        teacher, data.windows, np.asarray(data.train_ends, dtype=np.int64), side=data.side,
        batch_size=batch_size, device=device, tta=tta,
    )
