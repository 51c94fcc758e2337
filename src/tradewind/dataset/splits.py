"""Purged walk-forward and holdout splits over the labelled sample sequence.

Positions
    A split holds **sample positions**: positions ``0 … n_samples − 1`` in the sequence of
    labelled samples the pipeline builds (the rows of the feature matrix that have a full
    window and a known label, in time order; see :class:`~tradewind.dataset.SampleIndex`).
    ``SampleIndex.rows[positions]`` turns them into feature-matrix rows (window end rows).
    Rows without a label are skipped, so two positions ``p < q`` are at least ``q − p``
    bars apart: a gap counted in positions is never shorter in bars.

Purge
    The label of the sample at position ``i`` is computed from the period ``(i, i+horizon]``.
    Between consecutive segments (train → val → test) the layouts leave a gap of
    ``max(purge, horizon)`` positions, so no label period reaches into the next segment.

Embargo
    After a test segment, ``embargo`` further positions are withheld before training may
    resume. Walk-forward and holdout splits never train after their own test segment (each
    fold's training data lies entirely before its test), so there the embargo has nothing
    to remove; it is recorded on every :class:`Split` and enforced by :func:`check_splits`
    for any split whose training resumes after its test segment (purged k-fold style,
    hand-made splits).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.dataset.leakage import check_splits
from tradewind.dataset.split import Split
from tradewind.exceptions import ConfigError

__all__ = ["Split", "SplitSpec", "check_splits", "holdout_split", "make_splits", "walk_forward"]


def _fraction_or_count(name: str, value: float | int | None) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"{name}: a count must be >= 1, got {value}")
    elif not 0.0 < value < 1.0:
        raise ValueError(
            f"{name}: a fraction must lie strictly between 0 and 1, got {value}; "
            "write a whole number (e.g. 5000) for a count of samples"
        )


class SplitSpec(BaseModel):
    """How samples are divided into training, validation and test segments.

    Sizes given as a float in (0, 1) are fractions of all samples; ints are counts.
    """

    model_config = ConfigDict(extra="forbid")

    scheme: Literal["walk_forward", "holdout"] = "walk_forward"
    n_folds: int = Field(4, ge=1, description="Walk-forward folds (holdout: always one).")
    mode: Literal["expanding", "rolling"] = Field(
        "expanding", description="expanding: training starts at 0; rolling: fixed-size window."
    )
    test_size: float | int | None = Field(
        None,
        description="Test samples per fold (fraction or count); None splits everything after "
        "min_train evenly. Given sizes place the test segments at the end of the data.",
    )
    min_train: float | int = Field(
        0.4, description="Samples before the first test segment (fraction or count)."
    )
    val_fraction: float = Field(
        0.2, ge=0.0, lt=1.0, description="Share of each fold's training part used for validation (its end)."
    )
    purge: int | None = Field(
        None, ge=0, description="Gap between segments in samples; None = the label horizon (never less)."
    )
    embargo: int = Field(0, ge=0, description="Samples withheld after a test segment before training resumes.")
    train_size: float | int | None = Field(
        None,
        description="rolling only: train+validation samples per fold; None = the first fold's.",
    )

    @model_validator(mode="after")
    def _sizes_are_fractions_or_counts(self) -> SplitSpec:
        _fraction_or_count("test_size", self.test_size)
        _fraction_or_count("min_train", self.min_train)
        _fraction_or_count("train_size", self.train_size)
        return self

    @model_validator(mode="after")
    def _train_size_only_for_rolling(self) -> SplitSpec:
        if self.train_size is not None and self.mode != "rolling":
            raise ValueError(
                f"train_size: {self.train_size} is only used with mode 'rolling' (mode is "
                f"{self.mode!r}); remove it or set mode: rolling"
            )
        return self

    @model_validator(mode="after")
    def _holdout_has_one_fold(self) -> SplitSpec:
        if self.scheme == "holdout" and "n_folds" in self.model_fields_set and self.n_folds != 1:
            raise ValueError(
                f"n_folds: {self.n_folds} with scheme 'holdout', which makes one split; "
                "remove n_folds or use scheme: walk_forward"
            )
        return self


def _resolve(value: float | int, n: int) -> int:
    return int(value) if isinstance(value, int) else round(float(value) * n)


def _test_blocks(n: int, spec: SplitSpec, n_folds: int) -> list[np.ndarray]:
    first = _resolve(spec.min_train, n)
    if spec.test_size is None:
        if n - first < n_folds:
            raise ConfigError(
                f"split: {n} samples leave {max(n - first, 0)} after min_train={spec.min_train} "
                f"({first} samples), too few for {n_folds} test segment(s); lower min_train "
                "or n_folds, or supply more data"
            )
        return list(np.array_split(np.arange(first, n, dtype=np.int64), n_folds))
    size = _resolve(spec.test_size, n)
    start = n - n_folds * size
    if size < 1 or start < first:
        raise ConfigError(
            f"split: {n_folds} test segment(s) of test_size={spec.test_size} ({size} samples) "
            f"need {n_folds * size} samples after min_train={spec.min_train} ({first}), but "
            f"there are {n} samples in all; lower test_size, n_folds or min_train"
        )
    return [np.arange(start + i * size, start + (i + 1) * size, dtype=np.int64) for i in range(n_folds)]


def _layout(n_samples: int, spec: SplitSpec, horizon: int, n_folds: int) -> list[Split]:
    if n_samples < 1:
        raise ConfigError(f"split: need at least one sample, got n_samples={n_samples}")
    if horizon < 1:
        raise ConfigError(f"split: horizon must be >= 1, got {horizon}")
    gap = max(horizon if spec.purge is None else int(spec.purge), int(horizon))
    val_gap = gap if spec.val_fraction > 0 else 0
    blocks = _test_blocks(n_samples, spec, n_folds)
    window: int | None = None
    if spec.mode == "rolling":
        first_part = int(blocks[0][0]) - gap - val_gap
        window = first_part if spec.train_size is None else _resolve(spec.train_size, n_samples)
    splits = []
    for fold, test in enumerate(blocks):
        end = int(test[0]) - gap  # exclusive end of the training part (train, gap, val)
        start = 0 if window is None else max(0, end - val_gap - window)
        part = end - val_gap - start  # train + val positions
        n_val = max(1, round(spec.val_fraction * part)) if spec.val_fraction > 0 else 0
        n_train = part - n_val
        if n_train < 1:
            raise ConfigError(
                f"split fold {fold}: the test segment starts at sample {int(test[0])}, which "
                f"leaves {max(part, 0)} samples for training and validation after purge gaps of "
                f"{gap} (max(purge, horizon={horizon})); raise min_train, lower purge, "
                "val_fraction or n_folds, or supply more data"
            )
        train = np.arange(start, start + n_train, dtype=np.int64)
        val = np.arange(end - n_val, end, dtype=np.int64)
        splits.append(Split(fold, train, val, test, purge=gap, embargo=int(spec.embargo)))
    check_splits(splits, horizon)
    return splits


def walk_forward(n_samples: int, spec: SplitSpec, horizon: int) -> list[Split]:
    """Purged walk-forward folds over ``n_samples`` sample positions (checked before return).

    Fold ``k`` trains on positions before its test segment (from 0 when expanding, a window
    of ``train_size`` when rolling), validates on the chronological end of that training
    part, and tests on the ``k``-th test segment; test segments are contiguous and move
    forward. Segments are separated by ``max(purge, horizon)`` positions. A spec with
    ``scheme="holdout"`` yields :func:`holdout_split`'s single split.

    Examples
    --------
    >>> [len(s.test) for s in walk_forward(100, SplitSpec(n_folds=3, min_train=40), 2)]
    [20, 20, 20]
    """
    folds = 1 if spec.scheme == "holdout" else int(spec.n_folds)
    return _layout(int(n_samples), spec, int(horizon), folds)


def holdout_split(n_samples: int, spec: SplitSpec, horizon: int) -> list[Split]:
    """One purged split: training part, validation from its end, then the test segment."""
    return _layout(int(n_samples), spec, int(horizon), 1)


def make_splits(n_samples: int, spec: SplitSpec, horizon: int) -> list[Split]:
    """The splits ``spec.scheme`` asks for (walk-forward folds or one holdout split)."""
    if spec.scheme == "holdout":
        return holdout_split(n_samples, spec, horizon)
    return walk_forward(n_samples, spec, horizon)
