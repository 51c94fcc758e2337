"""Tiny experiments and sweep files for the sweep tests (seconds per trial on two cores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from tradewind.data.atomic import write_parquet_atomic
from tradewind.sweep import TrialRecord

TINY_EXPERIMENT: dict[str, Any] = {
    "name": "tiny",
    "seed": 1,
    "data": {"source": "synthetic:planted?bars=1500&seed=1&timeframe=1h"},
    "features": {"sets": ["core15"]},
    "labels": {"kind": "direction", "horizon": 1},
    "lookback": 4,
    "split": {"n_folds": 2, "min_train": 0.5, "val_fraction": 0.2},
    "model": {"name": "fnn", "hidden": [16], "dropout": 0.0},
    "training": {"epochs": 2, "batch_size": 256},
    "bootstrap": {"n_boot": 100},
    "baselines": {"include": ["majority", "persistence"]},
    # every signal is traded: validation slices this small rarely give a fitted policy the
    # trades it needs, and the PBO / returns tests want every trial to have a return series
    "policy": {"fit": False},
}

GRID_8: dict[str, Any] = {
    "model.hidden": [[8], [16]],
    "training.lr": [0.001, 0.003],
    "lookback": {"low": 4, "high": 6, "step": 2},
}


def write_sweep(folder: Path, *, space: dict[str, Any] | None = None,
                search: dict[str, Any] | None = None, registry_root: Path | None = None,
                **extra: Any) -> Path:
    """Write ``exp.yaml`` and ``sweep.yaml`` into ``folder``; return the sweep file."""
    folder.mkdir(parents=True, exist_ok=True)
    experiment = dict(TINY_EXPERIMENT)
    experiment["registry"] = (
        {"root": str(registry_root)} if registry_root is not None else {"enabled": False}
    )
    (folder / "exp.yaml").write_text(yaml.safe_dump(experiment))
    sweep = {
        "experiment": "exp.yaml",
        "overrides": {"training.epochs": 1},
        "search": search or {"method": "grid"},
        "space": space or GRID_8,
        "resources_per_trial": {"cpus": 1},
        "pbo_blocks": 8,
        **extra,
    }
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path


def fake_record(key: str, *, number: int = 0, mcc: float = 0.0,
                ci: tuple[float | None, float | None] = (-0.05, 0.05),
                overrides: dict[str, Any] | None = None, returns: str | None = None,
                sharpe: float | None = 0.0) -> TrialRecord:
    """A finished-trial record with chosen figures (no experiment behind it)."""
    return TrialRecord(
        key=key, number=number, overrides=overrides or {"training.lr": number},
        mcc=mcc, mcc_ci_low=ci[0], mcc_ci_high=ci[1], ci_level=0.95, accuracy=0.5,
        n_oos_rows=500, gate_passed=False, gate_failing=["mcc_ci_low"], sharpe=sharpe,
        sharpe_ci_low=None, sharpe_ci_high=None, n_trades=10, total_return=0.0,
        max_drawdown=0.1, report=f"trials/{key}/report.json", returns=returns,
        duration_s=1.0, finished_at="2026-01-01T00:00:00+00:00",
    )


def write_returns(sweep_dir: Path, key: str, values: np.ndarray, start: str = "2024-01-01") -> str:
    """Write a trial's returns.parquet the way a trial does; return its relative path."""
    index = pd.date_range(start, periods=len(values), freq="h", tz="UTC", name="timestamp")
    relative = f"trials/{key}/returns.parquet"
    write_parquet_atomic(pd.Series(values, index=index, name="return").to_frame(),
                         sweep_dir / relative)
    return relative
