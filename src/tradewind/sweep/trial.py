"""One trial, as a Ray worker runs it: experiment → report, bundle, out-of-sample returns.

The worker writes only inside ``trials/<key>/`` and returns a JSON summary; the driver
writes the ledger, tells Optuna and logs to MLflow (one writer for each SQLite file).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tradewind.config import Experiment
from tradewind.data.atomic import write_parquet_atomic
from tradewind.evaluation._json import json_safe
from tradewind.exceptions import TradewindError
from tradewind.sweep.spec import trial_experiment

if TYPE_CHECKING:
    from tradewind.pipeline.experiment import ExperimentResult

__all__ = ["RETURNS_FILE", "TrialSetup", "oos_bar_returns", "run_trial", "tune_trainable"]

RETURNS_FILE = "returns.parquet"
_watchdog_started = False


@dataclass(frozen=True)
class TrialSetup:
    """Plain data every trial needs (sent to the workers once, with ``tune.with_parameters``).

    ``cwd`` is the driver's working directory: relative data paths in the experiment mean
    the same thing in a trial as in ``tradewind run``.
    """

    base: dict[str, Any]
    where: str
    sweep_dir: str
    cwd: str
    cpus: float
    html: bool = False


def oos_bar_returns(exp: Experiment, result: ExperimentResult) -> pd.Series | None:
    """Per-bar returns after costs of the fitted trade policy's out-of-sample backtest.

    The run's own trades (``result.trading``), not a replay. Index: bar open times from the
    first out-of-sample bar to the last exit; the Sharpe ratio of these returns is the
    report's ``backtest.sharpe``. None when the experiment's backtest is disabled.
    """
    if not exp.backtest.enabled or result.trading is None:
        return None
    bt = result.trading.fitted.result
    equity = np.asarray(bt.equity, dtype=np.float64)
    prev = np.concatenate([[bt.initial_equity], equity[:-1]])
    returns = np.where(prev > 0, equity / np.where(prev > 0, prev, 1.0) - 1.0, 0.0)
    return pd.Series(returns, index=pd.DatetimeIndex(bt.index, name="timestamp"), name="return")


def _summary(key: str, result: ExperimentResult, returns_path: str | None,
             duration: float) -> dict[str, Any]:
    report = result.report
    oos = report.oos
    ci = oos.mcc_ci or (None, None)
    bt = report.backtest or {}
    return json_safe({
        "key": key,
        "mcc": oos.mcc,
        "mcc_ci_low": ci[0],
        "mcc_ci_high": ci[1],
        "ci_level": oos.ci_level,
        "accuracy": oos.accuracy,
        "n_oos_rows": oos.n_rows,
        "gate_passed": bool(result.gate_passed),
        "gate_failing": [c.name for c in report.gate.failing],
        "sharpe": bt.get("sharpe"),
        "sharpe_ci_low": bt.get("sharpe_ci_low"),
        "sharpe_ci_high": bt.get("sharpe_ci_high"),
        "n_trades": bt.get("n_trades"),
        "total_return": bt.get("total_return"),
        "max_drawdown": bt.get("max_drawdown"),
        "report": f"trials/{key}/{result.report_json.name}",
        "returns": returns_path,
        "duration_s": duration,
    })


def run_trial(setup: TrialSetup, key: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Run one trial into ``<sweep_dir>/trials/<key>`` and return its JSON summary.

    A leftover folder of an interrupted attempt is removed first. The registry is off
    (the driver logs the sweep), the progress display too, and report.html unless the
    sweep file sets ``trial_html``.
    """
    from tradewind.pipeline.experiment import run_experiment

    started = time.monotonic()
    exp = trial_experiment(setup.base, overrides, setup.where)
    out = Path(setup.sweep_dir) / "trials" / key
    if out.exists():
        shutil.rmtree(out)
    result = run_experiment(exp, out_dir=out, progress=False, html=setup.html)
    returns = oos_bar_returns(exp, result)
    returns_path = None
    if returns is not None:
        write_parquet_atomic(returns.to_frame(), out / RETURNS_FILE)
        returns_path = f"trials/{key}/{RETURNS_FILE}"
    return _summary(key, result, returns_path, time.monotonic() - started)


def _exit_with_raylet() -> None:
    """Exit this worker when its parent (the raylet) dies, e.g. a SIGKILLed local sweep.

    Ray workers sit in their own process groups and otherwise finish the running
    experiment as orphans, writing into a trial folder the next run is using.
    """
    global _watchdog_started
    if _watchdog_started:
        return
    _watchdog_started = True
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="tradewind-raylet-watchdog", daemon=True).start()


def tune_trainable(config: dict[str, Any], setup: TrialSetup) -> None:
    """Ray Tune function trainable: ``config`` is ``{"trial": key, "overrides": json}``.

    Reports ``{"objective": MCC lower bound, "summary": json}`` once. A TradewindError
    (bad data for this trial, a config rule) is reported as ``{"error": message}`` so the
    sweep goes on and the driver records it; any other exception fails the Tune trial.
    """
    import torch
    from ray import tune

    _exit_with_raylet()
    if Path(setup.cwd).is_dir():
        os.chdir(setup.cwd)
    torch.set_num_threads(max(1, int(setup.cpus)))
    key = str(config["trial"])
    overrides = json.loads(config["overrides"])
    try:
        summary = run_trial(setup, key, overrides)
    except TradewindError as err:
        tune.report({"objective": float("nan"), "summary": json.dumps({"key": key, "error": str(err)})})
        return
    objective = summary["mcc_ci_low"]
    tune.report({
        "objective": float("nan") if objective is None else float(objective),
        "summary": json.dumps(summary, allow_nan=False),
    })
