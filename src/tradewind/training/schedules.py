"""Learning-rate schedules as functions of fractional epochs, plus the plateau rule.

The trainer sets the LR before every batch from ``t = epoch + (batch + 1) / n_batches``
(epochs counted from 0), so warm-up ramps smoothly and cosine decay ends exactly at
``eta_min`` on the last batch. ``plateau`` changes the LR only at epoch ends.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from tradewind.training.spec import ScheduleSpec

__all__ = ["LRSchedule", "cosine_restarts_lr", "warmup_cosine_lr"]


def warmup_cosine_lr(
    t: float, *, base_lr: float, total_epochs: float, warmup_epochs: float, eta_min: float = 0.0
) -> float:
    """Linear warm-up from 0 to ``base_lr`` over ``warmup_epochs``, then cosine to ``eta_min``.

    A warm-up longer than half of ``total_epochs`` is cut to half, so a short run still
    decays (the refit after walk-forward may run only a few epochs).
    """
    warmup = min(warmup_epochs, total_epochs / 2.0)
    if warmup > 0 and t < warmup:
        return base_lr * max(t, 0.0) / warmup
    span = max(total_epochs - warmup, 1e-12)
    progress = min(max((t - warmup) / span, 0.0), 1.0)
    return eta_min + (base_lr - eta_min) * 0.5 * (1.0 + math.cos(math.pi * progress))


def cosine_restarts_lr(
    t: float, *, base_lr: float, t0: float, t_mult: float = 1.0, eta_min: float = 0.0
) -> float:
    """SGDR: cosine from ``base_lr`` to ``eta_min`` over periods t0, t0*t_mult, ...

    Matches ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0=t0, T_mult=t_mult)``
    stepped with epoch ``t``.
    """
    t = max(t, 0.0)
    if t_mult == 1.0:
        t_cur, period = t % t0, t0
    else:
        n = int(math.log(t / t0 * (t_mult - 1.0) + 1.0, t_mult))
        t_cur = t - t0 * (t_mult**n - 1.0) / (t_mult - 1.0)
        period = t0 * t_mult**n
        if t_cur >= period:  # floating point at a restart boundary
            t_cur, period = t_cur - period, period * t_mult
    return eta_min + (base_lr - eta_min) * 0.5 * (1.0 + math.cos(math.pi * t_cur / period))


class LRSchedule:
    """The LR of every batch for one ``ScheduleSpec``.

    Parameters
    ----------
    spec:
        The schedule config.
    base_lr, epochs:
        Peak learning rate; planned number of epochs.
    mode, threshold:
        For ``plateau``: ``"max"`` (MCC) or ``"min"`` (loss), and the improvement that
        counts (the early-stopping ``min_delta``).
    """

    def __init__(
        self,
        spec: ScheduleSpec,
        *,
        base_lr: float,
        epochs: int,
        mode: Literal["max", "min"] = "max",
        threshold: float = 0.0,
    ) -> None:
        self.spec = spec
        self.base_lr = float(base_lr)
        self.epochs = int(epochs)
        self.mode = mode
        self.threshold = float(threshold)
        self.plateau_lr = float(base_lr)
        self.best = -math.inf if mode == "max" else math.inf
        self.wait = 0

    def lr(self, t: float) -> float:
        """Learning rate at fractional epoch ``t`` (0 = start of training)."""
        s = self.spec
        if s.kind == "warmup_cosine":
            return warmup_cosine_lr(
                t, base_lr=self.base_lr, total_epochs=self.epochs,
                warmup_epochs=s.warmup_epochs, eta_min=s.eta_min,
            )
        if s.kind == "cosine_restarts":
            return cosine_restarts_lr(
                t, base_lr=self.base_lr, t0=s.t0, t_mult=s.t_mult, eta_min=s.eta_min
            )
        if s.kind == "plateau":
            return self.plateau_lr
        return self.base_lr

    def end_epoch(self, value: float) -> None:
        """Feed the epoch's monitor value (NaN is ignored); cuts the LR on a plateau."""
        if self.spec.kind != "plateau" or math.isnan(value):
            return
        better = (
            value > self.best + self.threshold
            if self.mode == "max"
            else value < self.best - self.threshold
        )
        if better:
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait > self.spec.patience:
            self.plateau_lr = max(self.plateau_lr * self.spec.factor, self.spec.eta_min)
            self.wait = 0

    def state_dict(self) -> dict[str, Any]:
        return {"plateau_lr": self.plateau_lr, "best": self.best, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.plateau_lr = float(state["plateau_lr"])
        self.best = float(state["best"])
        self.wait = int(state["wait"])
