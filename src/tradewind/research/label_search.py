"""Offline search of label thresholds with Optuna TPE (seed 001, improvement #6).

Optuna comes with the ``sweep`` extra (``pip install 'tradewind[sweep]'``).

``search_labels`` explores the free parameters of an experiment's labels and returns the
best :class:`~tradewind.labels.LabelSpec` for a stated objective:

- ``ternary`` with a fixed threshold: ``threshold`` (log-uniform);
- ``ternary`` with ``adaptive``: ``multiplier`` (log-uniform) and ``floor`` (uniform);
- ``triple_barrier``: the exits' ``take_profit`` and ``stop_loss`` (log-uniform);
- any kind, optionally: ``horizon`` among given choices.

Objectives
    ``balance`` (minimised): with ``s_k`` the class shares among labelled rows and ``t_k``
    the target shares, ``loss = ½·Σ|s_k − t_k| + w·(1 − H)`` where the first term is the
    total-variation distance to the target (0 … 1) and ``H = −Σ s_k·ln s_k / ln K`` is the
    label entropy normalised to 0 … 1 (``w = entropy_weight``, default 0.1). The distance
    is kinked at the target, so with ``w·(1 − H)`` small a reachable target wins; the
    entropy only breaks ties and prefers the more even of two equally distant shares.

    ``val_mcc`` (maximised): a cheap model (logistic regression or LightGBM, class weights
    balanced, on the experiment's last-bar features and ``baselines.lags`` lags) is fitted
    on the first part of the training period and scored by MCC on its last ``val_fraction``,
    with a gap of ``max(horizon, purge)`` rows between them, so labels that are
    *predictable* win, not merely balanced ones.

Only the training period is read
    Every objective sees the feature rows before the experiment's first walk-forward test
    segment, and only rows whose label ends before it (``t + horizon`` < first test row).
    Choosing labels by how they look on the final test period would tune the labels to
    that period: its class balance and predictability would leak into a choice that its
    out-of-sample metrics then pretend not to know.

Trials with a class share below ``min_share`` (one-sided labels: the seed's "95 % BUY")
are rejected and scored worst.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import yaml

from tradewind.config import Experiment
from tradewind.data.atomic import write_text_atomic
from tradewind.exceptions import ConfigError, DataError
from tradewind.extras import require
from tradewind.labels import LabelSpec, class_names, make_labels
from tradewind.pipeline.prepare import load_candles
from tradewind.research._label_space import (
    MODELS,
    balance_loss,
    check_target,
    current_params,
    search_bounds,
    spec_for,
    training_part,
    val_mcc,
)

if TYPE_CHECKING:
    import optuna

__all__ = [
    "OBJECTIVES",
    "LabelSearchResult",
    "LabelTrial",
    "load_label_spec",
    "search_labels",
    "write_label_spec",
]

OBJECTIVES: tuple[str, ...] = ("balance", "val_mcc")


@dataclass(frozen=True)
class LabelTrial:
    """One evaluated label spec: its parameters, class shares (training part) and score.

    ``value`` is the objective (``None`` for a rejected trial, whose ``note`` says why).
    """

    number: int
    params: dict[str, float | int]
    shares: dict[str, float]
    labelled: int
    value: float | None
    note: str = ""


@dataclass(frozen=True)
class LabelSearchResult:
    """What :func:`search_labels` found.

    Attributes
    ----------
    spec:
        The best label spec (valid as an experiment's ``labels:`` section).
    objective, direction:
        Objective name and whether it was minimised or maximised.
    best:
        The trial that produced ``spec``.
    trials:
        Every trial in the order run; trial 0 is the experiment's own labels when they lie
        inside the bounds.
    target:
        Target class shares (``balance``), else None.
    bounds:
        Parameter → (low, high) searched; ``horizon`` → (min, max) of its choices.
    train_end:
        Open time of the first walk-forward test row: nothing from it on was read.
    current:
        The trial of the experiment's own labels (trial 0), or None when they lie outside
        the bounds: the score the search has to beat.
    """

    spec: LabelSpec
    objective: str
    direction: Literal["minimize", "maximize"]
    best: LabelTrial
    trials: list[LabelTrial]
    target: tuple[float, ...] | None
    bounds: dict[str, tuple[float, float]]
    train_end: pd.Timestamp
    current: LabelTrial | None = None

    def top(self, n: int = 10) -> list[LabelTrial]:
        """The ``n`` best accepted trials, best first."""
        ok = [t for t in self.trials if t.value is not None]
        return sorted(ok, key=lambda t: t.value, reverse=self.direction == "maximize")[:n]

    def to_yaml(self) -> str:
        """The best spec as a YAML mapping, headed by a comment saying how it was chosen."""
        score = "" if self.best.value is None else f" = {self.best.value:.4f}"
        target = "" if self.target is None else f", target {list(self.target)}"
        header = (
            f"# labels found by `tradewind labels search`: objective {self.objective}{score}"
            f"{target}, {len(self.trials)} trials, training rows before {self.train_end}.\n"
            "# Use it as the `labels:` section of an experiment file.\n"
        )
        body = yaml.safe_dump(self.spec.model_dump(mode="json", exclude_none=True), sort_keys=False)
        return header + body


def search_labels(
    exp: Experiment,
    *,
    objective: str = "balance",
    n_trials: int = 50,
    target: Sequence[float] | None = None,
    seed: int = 0,
    progress: bool = True,
    horizons: Sequence[int] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    entropy_weight: float = 0.1,
    min_share: float = 0.05,
    model: str = "logistic",
    candles: pd.DataFrame | None = None,
) -> LabelSearchResult:
    """Search the labels' thresholds (and optionally horizon) with Optuna TPE.

    Parameters
    ----------
    exp:
        The experiment: data, features, split (which fixes the training period) and the
        labels whose kind and remaining settings are kept.
    objective:
        ``"balance"`` or ``"val_mcc"`` (see the module docstring for both formulas).
    n_trials:
        Label specs to evaluate (the first is the experiment's own, when inside the bounds).
    target:
        Target class shares in class order, e.g. ``(0.33, 0.34, 0.33)`` for SELL/HOLD/BUY;
        ``balance`` only; default uniform.
    seed:
        Seed of the TPE sampler and of LightGBM: same inputs, same result.
    horizons:
        Horizon choices to search; None keeps ``exp.labels.horizon``.
    bounds:
        Parameter → (low, high), replacing the defaults (thresholds from the 2nd … 98th
        percentile of |forward return| in the training period, ATR multiples 0.25 … 6,
        adaptive multiplier 0.1 … 4, floor 0 … the median |forward return|).
    entropy_weight, min_share:
        ``w`` of the balance loss; smallest class share a trial may have.
    model:
        ``"logistic"`` or ``"lightgbm"``, the cheap model of ``val_mcc``.
    candles:
        Candles to use instead of loading ``exp.data`` (tests, notebooks).
    """
    optuna = require("optuna", "labels search")
    if objective not in OBJECTIVES:
        raise ConfigError(
            f"labels search: unknown objective {objective!r}; choose from {list(OBJECTIVES)}"
        )
    if model not in MODELS:
        raise ConfigError(f"labels search: unknown model {model!r}; choose from {list(MODELS)}")
    if n_trials < 1 or not 0 <= min_share < 1 or entropy_weight < 0:
        raise ConfigError(
            f"labels search: need n_trials >= 1, 0 <= min_share < 1, entropy_weight >= 0; "
            f"got {n_trials}, {min_share}, {entropy_weight}"
        )
    base = exp.labels
    classes = class_names(base)
    goal = check_target(target, classes, objective)
    choices = sorted({int(h) for h in (horizons or [base.horizon])})
    if choices[0] < 1:
        raise ConfigError(f"labels search: horizons must be >= 1, got {choices}")
    if candles is None:
        candles = load_candles(exp)
    part = training_part(exp, candles, with_features=objective == "val_mcc")
    space = search_bounds(exp, part, choices, bounds or {})
    direction: Literal["minimize", "maximize"] = (
        "minimize" if objective == "balance" else "maximize"
    )
    worst = 2.0 + entropy_weight if direction == "minimize" else -1.0
    purge = int(exp.split.purge or 0)
    records: list[LabelTrial] = []

    def evaluate(trial: optuna.Trial) -> float:
        params: dict[str, float | int] = {}
        for name, (lo, hi) in space.items():
            if name == "horizon":
                params[name] = trial.suggest_categorical("horizon", choices)
            else:
                params[name] = trial.suggest_float(name, lo, hi, log=lo > 0)
        spec = spec_for(base, params)
        y = make_labels(candles, spec).y[part.rows]
        idx = np.arange(len(y))
        known = y[(idx >= part.first) & (idx < part.test_start - spec.horizon) & (y >= 0)]
        counts = np.bincount(known, minlength=len(classes)).astype(np.float64)
        shares = counts / counts.sum() if known.size else counts
        note, value = "", None
        if known.size == 0 or shares.min() < min_share:
            low = int(np.argmin(shares))
            note = f"{classes[low]} share {shares[low]:.3f} < min_share {min_share}"
        elif objective == "balance":
            assert goal is not None
            value = balance_loss(shares, goal, entropy_weight)
        else:
            value = val_mcc(part, y, spec.horizon, purge, model, seed)
            if not math.isfinite(value):
                note, value = "too few rows or classes to fit the model", None
        records.append(
            LabelTrial(
                trial.number,
                params,
                dict(zip(classes, shares.tolist(), strict=True)),
                int(known.size),
                value,
                note,
            )
        )
        return worst if value is None else value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    current = current_params(base, space)
    if current is not None:
        study.enqueue_trial(current)
    _optimize(study, evaluate, n_trials, progress)
    accepted = [t for t in records if t.value is not None]
    if not accepted:
        raise DataError(
            f"labels search: all {n_trials} trials were rejected (e.g. {records[0].note}); "
            "lower min_share, widen --bounds or run more trials"
        )
    pick = min if direction == "minimize" else max
    best = pick(accepted, key=lambda t: t.value)
    return LabelSearchResult(
        spec=spec_for(base, best.params),
        objective=objective,
        direction=direction,
        best=best,
        trials=records,
        target=goal,
        bounds=space,
        train_end=pd.Timestamp(candles.index[part.rows[part.test_start]]),
        current=records[0] if current is not None else None,
    )


def _optimize(study: Any, evaluate: Callable[[Any], float], n_trials: int, progress: bool) -> None:
    from rich.progress import Progress

    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("label search", total=n_trials)
        study.optimize(
            evaluate, n_trials=n_trials, callbacks=[lambda _study, _trial: bar.advance(task)]
        )


def write_label_spec(result: LabelSearchResult, path: str | Path) -> Path:
    """Write ``result.to_yaml()`` to ``path`` atomically; return the path."""
    return write_text_atomic(path, result.to_yaml())


def load_label_spec(path: str | Path) -> LabelSpec:
    """Read a label spec YAML (as :func:`write_label_spec` writes it) and validate it."""
    from pydantic import ValidationError

    from tradewind.config import read_yaml

    raw = read_yaml(path, allow_empty=False)  # duplicate keys and non-mappings refused by name

    try:
        return LabelSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{path}: not a valid label spec: {err}") from err
