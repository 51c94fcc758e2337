"""Search spaces: grid points, Optuna suggestions, and the stable key of a trial.

A trial is its overrides, ``{"model.hidden_size": 32, "training.lr": 0.002}``; its key is
the first 12 hex digits of the sha256 of their canonical JSON (sorted keys), so the same
overrides always get the same key, in any run and in any order of the space's keys.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tradewind.exceptions import ConfigError
from tradewind.sweep.spec import RangeSpec, SweepFile

if TYPE_CHECKING:
    import optuna

__all__ = ["check_space", "grid_points", "grid_values", "suggest_overrides", "trial_key"]

_MAX_GRID = 100_000


def trial_key(overrides: Mapping[str, Any]) -> str:
    """Stable 12-hex-digit key of a trial's overrides (sha256 of their canonical JSON)."""
    text = json.dumps(dict(overrides), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def grid_values(key: str, choices: list[Any] | RangeSpec) -> list[Any]:
    """The values a grid takes for one key: the list itself, or ``low..high`` by ``step``."""
    if isinstance(choices, list):
        return list(choices)
    if choices.step is None:
        raise ConfigError(f"space.{key}: a grid needs a list of values or a range with a step")
    if choices.is_int:
        return list(range(int(choices.low), int(choices.high) + 1, int(choices.step)))
    count = int((choices.high - choices.low) / choices.step + 1e-9) + 1
    return [float(f"{choices.low + i * choices.step:.12g}") for i in range(count)]


def grid_points(space: Mapping[str, list[Any] | RangeSpec]) -> list[dict[str, Any]]:
    """Every combination of the space's values, the first key varying slowest."""
    axes = {key: grid_values(key, choices) for key, choices in space.items()}
    size = 1
    for values in axes.values():
        size *= len(values)
    if size > _MAX_GRID:
        raise ConfigError(
            f"the grid has {size:,} points (> {_MAX_GRID:,}); use search.method: tpe with n_trials"
        )
    keys = list(axes)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values())]


def _label(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def suggest_overrides(
    trial: optuna.Trial, space: Mapping[str, list[Any] | RangeSpec]
) -> dict[str, Any]:
    """Ask an Optuna trial for one value per key.

    Lists become categorical parameters whose choices are the values' JSON (so sections
    and lists can be choices too); ranges become ``suggest_int``/``suggest_float``.
    """
    out: dict[str, Any] = {}
    for key, choices in space.items():
        if isinstance(choices, list):
            labels = [_label(v) for v in choices]
            out[key] = choices[labels.index(trial.suggest_categorical(key, labels))]
        elif choices.is_int:
            out[key] = trial.suggest_int(
                key, int(choices.low), int(choices.high), step=int(choices.step or 1),
                log=choices.log,
            )
        else:
            out[key] = trial.suggest_float(
                key, float(choices.low), float(choices.high), step=choices.step, log=choices.log
            )
    return out


def _probe_values(choices: list[Any] | RangeSpec) -> list[Any]:
    if isinstance(choices, list):
        return list(choices)
    if choices.is_int:
        return [int(choices.low), int(choices.high)]
    return [float(choices.low), float(choices.high)]


def check_space(sweep: SweepFile) -> list[dict[str, Any]]:
    """Validate the space against the experiment before anything runs; return the grid.

    A grid validates every point. TPE validates each key's values (a range's bounds)
    with the other keys at their first value, so a misspelt key or a wrong type fails
    here with the sweep file and the key named. Returns ``[]`` for TPE.
    """
    space = sweep.spec.space
    if sweep.spec.search.method == "grid":
        points = grid_points(space)
        for point in points:
            sweep.trial_experiment(point)
        return points
    first = {key: _probe_values(choices)[0] for key, choices in space.items()}
    for key, choices in space.items():
        for value in _probe_values(choices):
            sweep.trial_experiment({**first, key: value})
    return []
