"""``fit``: the training loop. It reads top to bottom: check → place → train → restore.

Feeding: the matrix, labels, side inputs and targets move to the training device once;
each epoch's order of training positions is made there (``EpochSampler``) and each batch
is one gather of window end rows (``Windows.gather``), no per-sample ``__getitem__`` and
no DataLoader. On CUDA the only host syncs are the epoch-end metrics.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from tradewind.exceptions import ConfigError
from tradewind.training.callbacks import Callback, EarlyStopping, PredictionReweighting
from tradewind.training.data import (
    DeviceData,
    TrainingData,
    check_training_data,
    smote_training_data,
)
from tradewind.training.losses import Criterion, distillation_loss, make_loss
from tradewind.training.metrics import confusion_matrix, mcc_from_confusion
from tradewind.training.progress import FitProgress
from tradewind.training.samplers import EpochSampler
from tradewind.training.schedules import LRSchedule
from tradewind.training.spec import TrainSpec
from tradewind.training.state import EpochRecord, FitResult, TrainState

__all__ = ["fit", "resolve_device"]

_EVAL_BATCH = 4096


def resolve_device(kind: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is a ConfigError."""
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "training.device='cuda' but torch.cuda.is_available() is False; "
            "use device: auto or device: cpu"
        )
    if kind == "cpu" or (kind == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    return torch.device("cuda")


def _check_spec_against_data(spec: TrainSpec, data: TrainingData) -> None:
    n = data.n_classes
    quotas = spec.sampler.quotas
    if quotas is not None and len(quotas) != n:
        raise ConfigError(
            f"training.sampler.quotas={quotas} has {len(quotas)} entries but the labels have "
            f"{n} classes; give one quota per class"
        )
    for field, classes in (
        ("hard_negatives.classes", spec.hard_negatives.classes),
        ("loss.entropy_classes", spec.loss.entropy_classes),
    ):
        bad = [c for c in classes or [] if not 0 <= c < n]
        if bad:
            raise ConfigError(f"training.{field}={classes} names classes {bad} outside 0..{n - 1}")
    if spec.distillation is not None and data.teacher_logits is None:
        raise ConfigError(
            "training.distillation is set but TrainingData.teacher_logits is None; "
            "compute the teacher's logits on train_ends first (training.teacher_logits)"
        )
    if spec.distillation is None and data.teacher_logits is not None:
        raise ConfigError(
            "TrainingData.teacher_logits is given but training.distillation is not set; "
            "set training.distillation (alpha, temperature) or drop the teacher logits"
        )


def _optimizer(model: nn.Module, spec: TrainSpec, device: torch.device) -> torch.optim.Optimizer:
    """Adam/AdamW; weight decay on matrices only (not on biases and norm gains)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": spec.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    groups = [g for g in groups if g["params"]]
    cls = torch.optim.AdamW if spec.optimizer == "adamw" else torch.optim.Adam
    return cls(groups, lr=spec.lr, fused=device.type == "cuda")


def _aux_targets(dev: DeviceData, use_aux: bool) -> tuple[torch.Tensor | None, float]:
    """Aux targets divided by their std over the training rows (NaN kept, masked later)."""
    if not use_aux or dev.aux is None:
        return None, 1.0
    train = dev.aux[dev.train_ends]
    finite = train[torch.isfinite(train)]
    scale = float(finite.std()) if finite.numel() > 1 else 1.0
    scale = scale if math.isfinite(scale) and scale > 0 else 1.0
    return dev.aux / scale, scale


class _Runner:
    """The model call, loss and evaluation of one fit (device, autocast, aux head)."""

    def __init__(self, model: nn.Module, spec: TrainSpec, device: torch.device,
                 criterion: Criterion, use_aux: bool) -> None:
        self.model = model
        self.spec = spec
        self.criterion = criterion
        self.use_aux = use_aux
        fn: Callable[..., object] = model.forward_with_aux if use_aux else model
        self.fn = torch.compile(fn) if spec.compile else fn
        self.amp = spec.amp and device.type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.amp:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def forward(self, x: torch.Tensor, side: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        with self.autocast():
            out = self.fn(x) if side is None else self.fn(x, side)
        if self.use_aux:
            logits, aux = out  # type: ignore[misc]
            return logits.float(), aux.float()
        return out.float(), None  # type: ignore[union-attr]

    def evaluate(self, dev: DeviceData, n_classes: int) -> dict[str, object]:
        """Validation loss (base class weights, no penalty), MCC, accuracy, shares, confidence."""
        nan = float("nan")
        if dev.val_ends.numel() == 0:
            return {"val_loss": nan, "val_mcc": nan, "val_accuracy": nan,
                    "pred_shares": tuple([nan] * n_classes), "mean_max_prob": nan}
        self.model.eval()
        chunks = []
        with torch.inference_mode():
            for i in range(0, dev.val_ends.numel(), _EVAL_BATCH):
                x, side = dev.inputs(dev.val_ends[i : i + _EVAL_BATCH])
                chunks.append(self.forward(x, side)[0])
            logits = torch.cat(chunks)
            y = dev.y[dev.val_ends]
            loss = self.criterion(logits, y, penalty=False)
            pred = logits.argmax(dim=-1)
            cm = confusion_matrix(y, pred, n_classes).cpu()
            max_prob = torch.softmax(logits, dim=-1).max(dim=-1).values.mean()
        self.model.train()
        counts = cm.sum(dim=0).double()
        return {
            "val_loss": float(loss),
            "val_mcc": mcc_from_confusion(cm),
            "val_accuracy": float(cm.diagonal().sum() / cm.sum()),
            "pred_shares": tuple(float(v) for v in counts / counts.sum()),
            "mean_max_prob": float(max_prob),
        }


def _n_batches(n_rows: int, batch_size: int) -> int:
    """Batches per epoch; a trailing batch of a single row joins the one before it, since
    BatchNorm cannot train on one row (and one-row steps are all noise anyway)."""
    n = math.ceil(n_rows / batch_size)
    return n - 1 if n > 1 and n_rows % batch_size == 1 else n


def fit(
    model: nn.Module,
    data: TrainingData,
    spec: TrainSpec,
    *,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
) -> FitResult:
    """Train ``model`` on ``data`` as ``spec`` says; returns it with its best weights.

    Seeds torch's global RNG (dropout) and the sampling generator with ``spec.seed``, so
    two CPU runs from the same initial weights end with identical weights. The model is
    moved to the training device and stays there. Built-in callbacks (early stopping
    when there are validation rows, prediction-aware reweighting when enabled) run
    before ``callbacks``. See ``TrainSpec`` for every option and ``smote`` for SMOTE.
    """
    check_training_data(data)
    _check_spec_against_data(spec, data)
    device = resolve_device(spec.device)
    torch.manual_seed(spec.seed)
    if spec.smote.enabled:
        data = smote_training_data(data, spec.smote, seed=spec.seed)
    n_classes = data.n_classes
    dev = DeviceData.from_data(data, device)
    train_labels = dev.y[dev.train_ends]
    counts = torch.bincount(train_labels, minlength=n_classes).cpu()
    criterion = make_loss(spec.loss, counts.numpy(), n_classes).to(device)
    model.to(device)
    model.train()
    use_aux = bool(getattr(model, "has_aux_head", False)) and dev.aux is not None \
        and spec.aux_weight > 0
    aux_targets, aux_scale = _aux_targets(dev, use_aux)
    runner = _Runner(model, spec, device, criterion, use_aux)
    optimizer = _optimizer(model, spec, device)
    es = spec.early_stopping
    mode = "max" if es.monitor == "val_mcc" else "min"
    schedule = LRSchedule(spec.schedule, base_lr=spec.lr, epochs=spec.epochs, mode=mode,
                          threshold=es.min_delta)
    generator = torch.Generator(device=device)
    generator.manual_seed(spec.seed)
    sampler = EpochSampler(spec.sampler, spec.hard_negatives, train_labels, n_classes,
                           spec.batch_size, generator=generator)
    has_val = dev.val_ends.numel() > 0
    stopper = EarlyStopping(es.monitor, patience=es.patience, min_delta=es.min_delta,
                            restore_best=es.restore_best) if has_val else None
    builtin: list[Callback] = [stopper] if stopper is not None else []
    if spec.reweighting.enabled:
        builtin.append(PredictionReweighting(step=spec.reweighting.step,
                                             max_factor=spec.reweighting.max_factor))
    hooks = [*builtin, *callbacks]
    shares = (counts.double() / counts.sum()).tolist()
    state = TrainState(model=model, optimizer=optimizer, n_classes=n_classes,
                       epochs=spec.epochs, class_factors=torch.ones(n_classes, device=device),
                       label_shares=tuple(shares))
    seen_losses = (torch.full((train_labels.numel(),), float("nan"), device=device)
                   if spec.hard_negatives.enabled else None)
    distill = spec.distillation
    params = [p for p in model.parameters() if p.requires_grad]

    for cb in hooks:
        cb.on_fit_start(state)
    with FitProgress(progress, spec.epochs) as bar:
        for epoch in range(1, spec.epochs + 1):
            started = time.perf_counter()
            state.epoch = epoch
            order = sampler.order(seen_losses if epoch > 1 else None)
            n_batches = _n_batches(order.numel(), spec.batch_size)
            state.n_batches = n_batches
            for cb in hooks:
                cb.on_epoch_start(state)
            bar.start_epoch(epoch, n_batches)
            loss_sum = torch.zeros((), device=device)
            first_lr = schedule.lr(epoch - 1 + 1.0 / n_batches)
            for b in range(n_batches):
                lr = schedule.lr(epoch - 1 + (b + 1) / n_batches)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                stop = None if b == n_batches - 1 else (b + 1) * spec.batch_size
                pos = order[b * spec.batch_size : stop]
                ends = dev.train_ends[pos]
                x, side = dev.inputs(ends)
                y = dev.y[ends]
                logits, aux_pred = runner.forward(x, side)
                factors = state.class_factors
                if distill is not None and dev.teacher is not None:
                    per = distillation_loss(
                        logits, y, dev.teacher[pos], alpha=distill.alpha,
                        temperature=distill.temperature, reduction="none",
                        hard_loss=lambda lg, t, f=factors: criterion.per_example(
                            lg, t, class_factors=f),
                    )
                else:
                    per = criterion.per_example(logits, y, class_factors=factors)
                loss = per.mean()
                if aux_pred is not None and aux_targets is not None:
                    target = aux_targets[ends]
                    mask = torch.isfinite(target)
                    err = (aux_pred - torch.nan_to_num(target)) ** 2 * mask
                    loss = loss + spec.aux_weight * err.sum() / mask.sum().clamp_min(1)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if spec.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(params, spec.grad_clip)
                optimizer.step()
                if seen_losses is not None:
                    seen_losses[pos] = per.detach()
                loss_sum += loss.detach() * pos.numel()
                state.batch, state.loss = b + 1, loss.detach()
                for cb in hooks:
                    cb.on_batch_end(state)
                bar.advance_batch()
            metrics = runner.evaluate(dev, n_classes)
            state.record = EpochRecord(
                epoch=epoch,
                train_loss=float(loss_sum) / order.numel(),
                lr=first_lr,
                time=time.perf_counter() - started,
                class_factors=tuple(float(v) for v in state.class_factors.cpu()),
                **metrics,  # type: ignore[arg-type]
            )
            state.history.append(state.record)
            schedule.end_epoch(float(getattr(state.record, es.monitor)))
            for cb in hooks:
                cb.on_epoch_end(state)
            bar.end_epoch(state.record)
            if state.stop:
                break
    for cb in hooks:
        cb.on_fit_end(state)
    model.eval()
    best = stopper.best_epoch if stopper is not None and stopper.best_epoch > 0 else state.epoch
    return FitResult(
        model=model,
        history=state.history,
        best_epoch=best,
        stopped_epoch=state.epoch,
        aux_scale=aux_scale,
        class_weights=() if criterion.class_weights is None
        else tuple(float(v) for v in criterion.class_weights.cpu()),
    )

