"""What ``fit`` trains on: one matrix, labels by row, and window end rows.

``TrainingData`` is checked once (``check_training_data``) and moved to the training
device once (``DeviceData``); every batch is then a gather of end rows on that device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tradewind.dataset.windows import Windows
from tradewind.exceptions import ConfigError, DataError
from tradewind.training.smote import smote_chunks
from tradewind.training.spec import SmoteSpec

__all__ = ["DeviceData", "TrainingData", "check_training_data", "smote_training_data"]


@dataclass
class TrainingData:
    """Inputs of ``fit``; all row indices refer to rows of ``windows.matrix``.

    Attributes
    ----------
    windows:
        Normalised float32 matrix [T, F] with the lookback.
    y:
        int64 labels [T] by end row; -1 = no label (must not occur at train/val ends).
    train_ends, val_ends:
        int64 end rows of the training and validation windows (val may be empty: no
        validation metrics, no early stopping).
    n_classes:
        Number of classes C (logits per example).
    side:
        Optional per-row side inputs [T, S] (the model's ``side`` argument).
    aux:
        Optional float targets [T] for a model's auxiliary regression head (forward
        returns); NaN entries are ignored.
    teacher_logits:
        Optional [len(train_ends), C] teacher logits aligned with ``train_ends``, for
        distillation (produced once, before training).
    """

    windows: Windows
    y: torch.Tensor
    train_ends: np.ndarray
    val_ends: np.ndarray
    n_classes: int
    side: torch.Tensor | None = None
    aux: torch.Tensor | None = None
    teacher_logits: np.ndarray | None = None


def _check_ends(name: str, ends: np.ndarray, y: np.ndarray, data: TrainingData) -> None:
    if ends.ndim != 1:
        raise DataError(f"{name} must be 1-D end rows, got shape {ends.shape}")
    if not len(ends):
        return
    low, high = data.windows.lookback - 1, data.windows.n_rows - 1
    if int(ends.min()) < low or int(ends.max()) > high:
        raise DataError(
            f"{name} must lie in [{low}, {high}] (lookback {data.windows.lookback}, "
            f"{data.windows.n_rows} rows), got [{int(ends.min())}, {int(ends.max())}]"
        )
    labels = y[ends]
    bad = np.flatnonzero((labels < 0) | (labels >= data.n_classes))
    if len(bad):
        raise DataError(
            f"{len(bad)} of {name} have no valid label (row {int(ends[bad[0]])} has label "
            f"{int(labels[bad[0]])}, expected 0..{data.n_classes - 1}); drop unlabelled rows "
            "(label -1) from the end rows before fit"
        )


def check_training_data(data: TrainingData) -> None:
    """Raise ``DataError`` naming the field, row and value of the first inconsistency."""
    if data.n_classes < 2:
        raise DataError(f"n_classes must be >= 2, got {data.n_classes}")
    y = torch.as_tensor(data.y)
    n_rows = data.windows.n_rows
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise DataError(f"y must have one label per matrix row ({n_rows}), got {tuple(y.shape)}")
    y_np = y.cpu().numpy()
    train = np.asarray(data.train_ends, dtype=np.int64)
    if not len(train):
        raise DataError("train_ends is empty: there is nothing to train on")
    _check_ends("train_ends", train, y_np, data)
    _check_ends("val_ends", np.asarray(data.val_ends, dtype=np.int64), y_np, data)
    for name, t in (("side", data.side), ("aux", data.aux)):
        if t is not None and t.shape[0] != n_rows:
            raise DataError(f"{name} must have {n_rows} rows like the matrix, got {tuple(t.shape)}")
    if data.side is not None and data.side.ndim != 2:
        raise DataError(f"side must be [T, S], got {tuple(data.side.shape)}")
    if data.teacher_logits is not None:
        want = (len(train), data.n_classes)
        got = tuple(np.shape(data.teacher_logits))
        if got != want:
            raise DataError(
                f"teacher_logits must be [len(train_ends), n_classes] = {want}, got {got}"
            )


def smote_training_data(data: TrainingData, spec: SmoteSpec, *, seed: int) -> TrainingData:
    """``data`` with SMOTE rows appended to a copy of the matrix (window length 1 only).

    Side features are synthesised together with the features; synthetic aux targets are
    NaN; validation rows are unchanged. See ``tradewind.training.smote``.
    """
    if data.windows.lookback != 1:
        raise ConfigError(
            f"training.smote.enabled needs window length 1 (tabular inputs), got lookback "
            f"{data.windows.lookback}; use training.sampler.kind: class_balanced for sequences"
        )
    if data.teacher_logits is not None:
        raise ConfigError(
            "training.smote cannot be combined with distillation: synthetic rows have no "
            "teacher logits; disable one of them"
        )
    matrix = data.windows.matrix.detach().cpu()
    ends = np.asarray(data.train_ends, dtype=np.int64)
    X = matrix[torch.from_numpy(ends)].numpy()
    n_feat = X.shape[1]
    if data.side is not None:
        X = np.concatenate([X, data.side.detach().cpu()[torch.from_numpy(ends)].numpy()], axis=1)
    y = torch.as_tensor(data.y).cpu()
    parts = list(smote_chunks(
        X.astype(np.float32), y[torch.from_numpy(ends)].numpy(),
        chunk_size=spec.chunk_size, k_neighbors=spec.k_neighbors, seed=seed,
    ))
    X_syn = np.concatenate([p[1] for p in parts]) if parts else X[:0]
    y_syn = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
    n_rows, n_syn = matrix.shape[0], len(y_syn)
    syn = torch.from_numpy(np.ascontiguousarray(X_syn, dtype=np.float32))
    side = None
    if data.side is not None:
        side = torch.cat([data.side.detach().cpu().float(), syn[:, n_feat:]])
    aux = None
    if data.aux is not None:
        aux = torch.cat([data.aux.detach().cpu().float(), torch.full((n_syn,), float("nan"))])
    return TrainingData(
        windows=Windows(torch.cat([matrix.float(), syn[:, :n_feat]]), 1),
        y=torch.cat([y.long(), torch.from_numpy(y_syn)]),
        train_ends=np.concatenate([ends, n_rows + np.arange(n_syn, dtype=np.int64)]),
        val_ends=np.asarray(data.val_ends, dtype=np.int64),
        n_classes=data.n_classes,
        side=side,
        aux=aux,
        teacher_logits=None,
    )


@dataclass
class DeviceData:
    """``TrainingData`` on the training device: moved once, gathered per batch."""

    windows: Windows
    y: torch.Tensor
    train_ends: torch.Tensor
    val_ends: torch.Tensor
    side: torch.Tensor | None
    aux: torch.Tensor | None
    teacher: torch.Tensor | None

    @classmethod
    def from_data(cls, data: TrainingData, device: torch.device) -> DeviceData:
        matrix = data.windows.matrix
        if not isinstance(matrix, torch.Tensor) or matrix.dtype != torch.float32:
            matrix = torch.as_tensor(matrix, dtype=torch.float32)

        def put(t: torch.Tensor | np.ndarray | None, dtype: torch.dtype) -> torch.Tensor | None:
            if t is None:
                return None
            return torch.as_tensor(np.asarray(t) if isinstance(t, np.ndarray) else t).to(
                device=device, dtype=dtype
            )

        return cls(
            windows=Windows(matrix.to(device), data.windows.lookback),
            y=put(data.y, torch.long),
            train_ends=put(np.asarray(data.train_ends, dtype=np.int64), torch.long),
            val_ends=put(np.asarray(data.val_ends, dtype=np.int64), torch.long),
            side=put(data.side, torch.float32),
            aux=put(data.aux, torch.float32),
            teacher=put(data.teacher_logits, torch.float32),
        )

    def inputs(self, ends: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Windows [B, L, F] and side [B, S] (or None) for end rows already range-checked."""
        x = self.windows.gather(ends, check=False)
        return x, (None if self.side is None else self.side[ends])
