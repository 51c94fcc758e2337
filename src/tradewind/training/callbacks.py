"""Callbacks: the trainer says when, callbacks decide what happens at epoch ends.

Every hook of ``Callback`` is a no-op, so a callback overrides only what it needs;
``state_dict`` / ``load_state_dict`` carry what a resumed run needs to continue.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import torch

from tradewind.training.state import TrainState

__all__ = ["Callback", "EarlyStopping", "PredictionReweighting", "nudge_class_factors"]


class Callback:
    """Base class with no-op hooks, called in the order the callbacks were given."""

    def on_fit_start(self, state: TrainState) -> None:
        """Before the first epoch."""

    def on_epoch_start(self, state: TrainState) -> None:
        """Before the first batch of ``state.epoch``."""

    def on_batch_end(self, state: TrainState) -> None:
        """After the optimiser step of ``state.batch``; ``state.loss`` is a device tensor."""

    def on_epoch_end(self, state: TrainState) -> None:
        """After validation; ``state.record`` holds the epoch's metrics."""

    def on_fit_end(self, state: TrainState) -> None:
        """After the last epoch (also after an early stop)."""

    def state_dict(self) -> dict[str, Any]:
        """Plain values needed to resume."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""


class EarlyStopping(Callback):
    """Stop after ``patience`` epochs without ``monitor`` improving by more than ``min_delta``.

    ``val_mcc`` is maximised, ``val_loss`` minimised. With ``restore_best`` the weights of
    the best epoch are copied (on the training device) and loaded back at the end of fit.
    Epochs whose monitor is NaN (no validation rows) never count as improvements.
    """

    def __init__(
        self,
        monitor: Literal["val_mcc", "val_loss"] = "val_mcc",
        *,
        patience: int = 7,
        min_delta: float = 0.001,
        restore_best: bool = True,
    ) -> None:
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = bool(restore_best)
        self.mode = "max" if monitor == "val_mcc" else "min"
        self.best = -math.inf if self.mode == "max" else math.inf
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self._best_weights: dict[str, torch.Tensor] | None = None

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if math.isnan(value):
            return False
        if self.mode == "max":
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, state: TrainState) -> None:
        assert state.record is not None
        value = float(getattr(state.record, self.monitor))
        if self.improved(value):
            self.best = value
            self.best_epoch = state.epoch
            self.wait = 0
            if self.restore_best:
                self._best_weights = {
                    k: v.detach().clone() for k, v in state.model.state_dict().items()
                }
            return
        if not math.isnan(value):
            self.wait += 1
            if self.wait >= self.patience:
                state.stop = True
                self.stopped_epoch = state.epoch

    def on_fit_end(self, state: TrainState) -> None:
        if self.restore_best and self._best_weights is not None:
            state.model.load_state_dict(self._best_weights)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])


def nudge_class_factors(
    factors: np.ndarray,
    label_shares: np.ndarray,
    pred_shares: np.ndarray,
    *,
    step: float = 0.05,
    max_factor: float = 2.0,
) -> np.ndarray:
    """One small step of prediction-aware reweighting.

    Class c's factor is multiplied by ``1 + clip((label_c - pred_c) / label_c, -step, step)``:
    an under-predicted class gains weight, an over-predicted one loses it, by at most
    ``step`` (relative) per call, and the result stays in [1 / max_factor, max_factor].
    """
    label = np.asarray(label_shares, dtype=np.float64)
    pred = np.asarray(pred_shares, dtype=np.float64)
    gap = (label - pred) / np.maximum(label, 1e-12)
    change = np.clip(gap, -step, step)
    change[label <= 0] = 0.0
    new = np.asarray(factors, dtype=np.float64) * (1.0 + change)
    return np.clip(new, 1.0 / max_factor, max_factor)


class PredictionReweighting(Callback):
    """After each epoch, nudge the loss's class factors toward predicted shares = label shares.

    Predicted shares are those of the validation windows (``state.record.pred_shares``),
    label shares those of the training windows; see ``nudge_class_factors``. Epochs
    without validation leave the factors as they are.
    """

    def __init__(self, *, step: float = 0.05, max_factor: float = 2.0) -> None:
        self.step = float(step)
        self.max_factor = float(max_factor)
        self.factors: np.ndarray | None = None

    def on_fit_start(self, state: TrainState) -> None:
        if self.factors is None:
            self.factors = state.class_factors.detach().cpu().double().numpy()
        else:
            state.class_factors = torch.as_tensor(
                self.factors, dtype=torch.float32, device=state.class_factors.device
            )

    def on_epoch_end(self, state: TrainState) -> None:
        assert state.record is not None and self.factors is not None
        pred = np.asarray(state.record.pred_shares, dtype=np.float64)
        if pred.size != state.n_classes or np.isnan(pred).any():
            return
        self.factors = nudge_class_factors(
            self.factors, np.asarray(state.label_shares), pred,
            step=self.step, max_factor=self.max_factor,
        )
        state.class_factors = torch.as_tensor(
            self.factors, dtype=torch.float32, device=state.class_factors.device
        )

    def state_dict(self) -> dict[str, Any]:
        return {"factors": None if self.factors is None else self.factors.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        factors = state.get("factors")
        self.factors = None if factors is None else np.asarray(factors, dtype=np.float64)
