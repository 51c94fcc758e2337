"""A ``per_symbol`` universe's folds as Ray tasks (``tradewind run --address``).

Each symbol's models are independent of every other symbol's, so a user with many
instruments can spread them over a cluster: every (symbol, fold) is one Ray task running
the very :func:`~tradewind.pipeline.folds.run_fold` the in-process loop runs, on that
symbol's own :class:`~tradewind.pipeline.prepare.Prepared` (put into Ray's object store
once per symbol) and the calendar's fold of that symbol, with the same seed. The
:class:`~tradewind.pipeline.folds.FoldResult` objects come back in memory through Ray's
own serialisation; nothing is written to the run folder, so the run is the in-process run.
Ray is reached through :func:`tradewind.cluster.ray_session`, as sweeps reach it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from tradewind.cluster import ray_session
from tradewind.config import Experiment
from tradewind.dataset import Split, series_split
from tradewind.exceptions import ConfigError
from tradewind.extras import require
from tradewind.pipeline.folds import FoldResult, run_fold
from tradewind.pipeline.prepare import Prepared

__all__ = ["LOCAL", "check_address", "train_symbols_on_ray"]

LOCAL = "local"  # ``--address local``: start Ray on this machine's cores


def check_address(exp: Experiment, address: str | None) -> None:
    """Refuse ``address`` for a run that has no symbols to spread (before any work)."""
    if address is None:
        return
    n = len(exp.data.series())
    if n == 1 or exp.universe.mode != "per_symbol":
        what = "one series" if n == 1 else f"universe.mode {exp.universe.mode!r}"
        raise ConfigError(
            f"--address {address}: Ray tasks train the symbols of a per_symbol universe, and "
            f"this experiment has {what}; drop --address, or set universe.mode=per_symbol "
            "with several data.sources"
        )
    require("ray", "tradewind run --address")


def _scratch(anchor: Path) -> Path:
    """Ray's session folder for a run into ``anchor``: short, and the same for a rerun."""
    digest = hashlib.sha256(str(Path(anchor).resolve()).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"tradewind-run-{digest}"


def _fold_task(view: Prepared, exp: Experiment, split: Split) -> FoldResult:
    """One symbol's fold, as the in-process loop trains it (runs in a Ray worker)."""
    return run_fold(view, exp, split, progress=False)


def train_symbols_on_ray(
    prep: Prepared, exp: Experiment, splits: list[Split], address: str, anchor: Path,
) -> list[list[FoldResult]]:
    """Every symbol's folds (``[symbol][fold]``), each fold one Ray task of one CPU (and
    one GPU with ``training.device: cuda``; a cluster without one is refused).

    ``address``: ``local`` starts Ray on this machine's cores; otherwise a cluster address
    as for ``tradewind sweep --address``. ``anchor`` names Ray's scratch folder (the run's
    output folder). A task's error is raised here as Ray raises it (an instance of the
    original exception class, so its exit code holds).
    """
    starts = np.searchsorted(prep.series[prep.samples], np.arange(prep.n_series + 1))
    gpus = 1 if exp.training.device == "cuda" else 0  # auto: Ray hides GPUs it did not assign
    with ray_session(None if address == LOCAL else address, _scratch(anchor)):
        import ray

        if gpus > ray.cluster_resources().get("GPU", 0.0):
            raise ConfigError(
                f"training.device='cuda' but the Ray cluster at {address} has no GPU; its "
                "tasks would wait for one forever: use --address of a cluster with GPUs, or "
                "training.device=cpu"
            )
        task = ray.remote(num_cpus=1, num_gpus=gpus)(_fold_task)
        shared = ray.put(exp)
        pending = []
        for s in range(prep.n_series):
            view = ray.put(prep.view(s))
            pending.append([task.remote(view, shared, series_split(split, starts, s))
                            for split in splits])
        return [ray.get(own) for own in pending]
