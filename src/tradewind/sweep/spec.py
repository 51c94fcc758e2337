"""The sweep file: which experiment, which fixed overrides, which search space, how to run.

One YAML document validated by pydantic (unknown keys are errors naming the file and key)::

    name: quickstart-sweep          # optional; default: the file's stem
    experiment: quickstart.yaml     # relative to this file
    overrides:                      # applied to every trial
      training.epochs: 2
    search:
      method: grid                  # or tpe (Optuna), with n_trials
    space:                          # dotted experiment keys
      model.hidden_size: [16, 32]   # a list: these values (any YAML, whole sections too)
      training.lr: {low: 0.001, high: 0.004, step: 0.001}   # a range (grid needs a step)
    resources_per_trial: {cpus: 1, gpus: 0}
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.config import (
    Experiment,
    apply_overrides,
    parse_overrides,
    read_yaml,
    validate_section,
)
from tradewind.exceptions import ConfigError

__all__ = [
    "RangeSpec",
    "SearchSpec",
    "SweepFile",
    "SweepSpec",
    "TrialResources",
    "load_sweep",
    "trial_experiment",
]

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# Trials never log to the registry (the driver does), so the registry section is the
# driver's: not searchable, and not part of what makes two trials the same.
_RESERVED = ("registry",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RangeSpec(_Strict):
    """A numeric range: integers when ``low``, ``high`` (and ``step``) are all integers.

    TPE samples it (log-uniformly with ``log: true``); a grid needs ``step`` and takes
    ``low, low + step, ...`` up to ``high``.
    """

    low: int | float
    high: int | float
    log: bool = False
    step: int | float | None = Field(None, gt=0)

    @property
    def is_int(self) -> bool:
        """True when every bound (and the step) is an integer: an integer parameter."""
        values = [self.low, self.high] + ([self.step] if self.step is not None else [])
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"log: true needs low > 0, got low={self.low}")
        if self.log and self.step is not None:
            raise ValueError("a range is either log-scaled or stepped; drop log or step")
        return self


class SearchSpec(_Strict):
    """How trials are chosen: every grid point, or ``n_trials`` Optuna TPE suggestions."""

    method: Literal["grid", "tpe"] = "grid"
    n_trials: int | None = Field(None, ge=1, description="tpe: trials to finish in total.")
    seed: int = Field(0, ge=0, description="Seed of the TPE sampler.")
    startup_trials: int = Field(10, ge=1, description="tpe: random trials before TPE models.")


class TrialResources(_Strict):
    """What Ray reserves for each trial; a GPU trial gets ``CUDA_VISIBLE_DEVICES`` from Ray."""

    cpus: float = Field(1.0, gt=0)
    gpus: float = Field(0.0, ge=0)


class SweepSpec(_Strict):
    """One sweep: an experiment file, fixed overrides and a search space over its keys."""

    name: str | None = Field(None, description="Sweep name; default: the file's stem.")
    experiment: str = Field(description="Experiment YAML, relative to the sweep file.")
    overrides: dict[str, Any] = Field(default_factory=dict)
    search: SearchSpec = Field(default_factory=SearchSpec)
    space: dict[str, list[Any] | RangeSpec] = Field(min_length=1)
    resources_per_trial: TrialResources = Field(default_factory=TrialResources)
    max_concurrent: int | None = Field(None, ge=1, description="Trials at once; default: Ray's.")
    pbo_blocks: int = Field(16, ge=2, le=20, description="S blocks of the PBO split (even).")
    trial_html: bool = Field(
        False,
        description="Draw each trial's report.html (seconds per trial); report.json is always "
        "written and `tradewind report DIR` draws the HTML later.",
    )

    @field_validator("overrides", "space")
    @classmethod
    def _dotted_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not _KEY.match(key):
                raise ValueError(f"{key!r} is not a dotted config key such as model.hidden_size")
        return value

    @field_validator("space")
    @classmethod
    def _choices_not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, choices in value.items():
            if key.split(".")[0] in _RESERVED:
                raise ValueError(
                    f"{key!r}: trials never log to the registry (the sweep driver does); "
                    "set registry keys under overrides"
                )
            if isinstance(choices, list) and not choices:
                raise ValueError(f"space.{key} lists no values; give at least one")
        return value

    @field_validator("pbo_blocks")
    @classmethod
    def _even_blocks(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"pbo_blocks must be even (half in-sample, half out), got {value}")
        return value

    @model_validator(mode="after")
    def _keys_do_not_overlap(self) -> SweepSpec:
        keys = [*self.overrides, *self.space]
        for a in keys:
            for b in keys:
                if a is not b and (a == b or b.startswith(a + ".")):
                    raise ValueError(
                        f"keys {a!r} and {b!r} set the same config value twice "
                        "(between overrides and space); keep one"
                    )
        return self

    @model_validator(mode="after")
    def _method_fits_space(self) -> SweepSpec:
        if self.search.method == "grid":
            if self.search.n_trials is not None:
                raise ValueError("search.n_trials is for tpe; a grid runs every combination")
            for key, choices in self.space.items():
                if isinstance(choices, RangeSpec) and choices.step is None:
                    raise ValueError(
                        f"space.{key}: a grid needs a list of values or a range with a step"
                    )
        elif self.search.n_trials is None:
            raise ValueError("search.method tpe needs search.n_trials (how many trials to run)")
        return self


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


@dataclass(frozen=True)
class SweepFile:
    """A validated sweep file with its experiment resolved.

    ``base`` is the experiment file's raw mapping with the sweep's fixed overrides (and
    any ``--set`` overrides) applied: every trial is ``base`` plus its own overrides.
    """

    spec: SweepSpec
    path: Path
    experiment_path: Path
    base: dict[str, Any]

    @property
    def name(self) -> str:
        """The sweep's name (its file stem unless set)."""
        return self.spec.name or self.path.stem

    @property
    def fingerprint(self) -> str:
        """sha256 of ``base`` minus ``registry``: a sweep directory holds one base's trials."""
        trial_side = {k: v for k, v in self.base.items() if k not in _RESERVED}
        return hashlib.sha256(_canonical(trial_side).encode()).hexdigest()

    @property
    def where(self) -> str:
        """How errors name a trial's configuration: the sweep file and the experiment."""
        return f"{self.path} on {self.experiment_path}"

    def base_experiment(self) -> Experiment:
        """The experiment with the fixed overrides only (its ``registry`` is the driver's)."""
        return validate_section(Experiment, self.base, self.where)

    def trial_experiment(self, overrides: Mapping[str, Any]) -> Experiment:
        """The experiment a trial runs (see :func:`trial_experiment`)."""
        return trial_experiment(self.base, overrides, self.where)


def trial_experiment(base: Mapping[str, Any], overrides: Mapping[str, Any], where: str) -> Experiment:
    """``base`` + a trial's ``overrides``, registry off (the driver logs), validated.

    Errors name ``where`` (the sweep file and experiment), the trial's overrides and the key.
    """
    raw = apply_overrides(dict(base), {**overrides, "registry.enabled": False})
    shown = ", ".join(f"{k}={_canonical(v)}" for k, v in overrides.items())
    return validate_section(Experiment, raw, f"{where}, trial {shown or '(base)'}")


def load_sweep(
    path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> SweepFile:
    """Read and validate a sweep file; ``overrides`` (``--set``) join its fixed overrides.

    The experiment is validated with the fixed overrides, so a misspelt key fails here,
    naming the sweep file and the key, before Ray starts.
    """
    path = Path(path)
    spec = validate_section(SweepSpec, read_yaml(path), str(path))
    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    experiment_path = Path(spec.experiment)
    if not experiment_path.is_absolute():
        experiment_path = path.parent / experiment_path
    if not experiment_path.is_file():
        raise ConfigError(
            f"{path}: experiment: {spec.experiment!r} not found (looked for {experiment_path}; "
            "paths are relative to the sweep file)"
        )
    fixed = {**spec.overrides, **dict(overrides or {})}
    base = apply_overrides(read_yaml(experiment_path, allow_empty=False), fixed)
    sweep = SweepFile(spec=spec, path=path, experiment_path=experiment_path, base=base)
    sweep.base_experiment()
    return sweep
