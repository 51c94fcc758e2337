"""The driver's side of a sweep run: which trial next, and what to do when one ends.

Grid: the grid points whose key is not in the ledger, in grid order. TPE: an Optuna study
in ``optuna.db`` (RDB storage) asked one trial at a time; on opening, trials an earlier
run left RUNNING (it was killed) are told COMPLETE when the ledger has their result, else
FAIL, and new ones are asked until the ledger holds ``n_trials``. When a trial ends the
driver alone writes the ledger, tells Optuna and logs to MLflow.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from tradewind.exceptions import ConfigError
from tradewind.sweep.ledger import Ledger, TrialRecord
from tradewind.sweep.space import suggest_overrides, trial_key
from tradewind.sweep.spec import SweepFile
from tradewind.sweep.tracking import SweepTracker

if TYPE_CHECKING:
    import optuna

__all__ = ["STUDY_FILE", "PlannedTrial", "SweepDriver"]

STUDY_FILE = "optuna.db"
_MAX_REASKS = 50


@dataclass(frozen=True)
class PlannedTrial:
    """A trial handed to Ray: its key, number (grid index or Optuna number) and overrides."""

    key: str
    number: int
    overrides: dict[str, Any]


def open_study(sweep: SweepFile, path: Path) -> optuna.Study:
    """The sweep's TPE study in Optuna RDB storage (SQLite at ``path``), created or loaded."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = sweep.spec.search
    path.parent.mkdir(parents=True, exist_ok=True)
    sampler = optuna.samplers.TPESampler(
        seed=search.seed, n_startup_trials=search.startup_trials, constant_liar=True
    )
    return optuna.create_study(
        storage=f"sqlite:///{path.resolve().as_posix()}", study_name=sweep.name,
        direction="maximize", sampler=sampler, load_if_exists=True,
    )


def _objective(record: TrialRecord) -> float | None:
    low = record.mcc_ci_low
    return low if low is not None and math.isfinite(low) else None


class SweepDriver:
    """Plans trials and records their ends (grid points, or asks and tells Optuna).

    Parameters
    ----------
    sweep
        The validated sweep file.
    ledger
        The sweep directory's ledger; trials in it are never planned again.
    grid
        Every grid point (``check_space``'s result) for a grid sweep; ignored for TPE.
    tracker
        MLflow bookkeeping, or None when the experiment's registry is disabled.
    progress
        Print one line per finished or failed trial.
    """

    def __init__(self, sweep: SweepFile, ledger: Ledger, *, grid: list[dict[str, Any]],
                 tracker: SweepTracker | None, progress: bool = True) -> None:
        self.sweep = sweep
        self.ledger = ledger
        self.tracker = tracker
        self.progress = progress
        self.finished: dict[str, TrialRecord] = ledger.records()
        self.tpe = sweep.spec.search.method == "tpe"
        self._queue: list[PlannedTrial] = []
        if not self.tpe:
            seen: set[str] = set()
            for number, point in enumerate(grid):
                key = trial_key(point)
                if key not in self.finished and key not in seen:
                    seen.add(key)
                    self._queue.append(PlannedTrial(key, number, point))
            self.to_run = len(self._queue)
        else:
            self.to_run = max(int(sweep.spec.search.n_trials or 0) - len(self.finished), 0)
        self.issued = 0
        self.done = 0
        self.failed: dict[str, str] = {}
        self._in_flight: dict[str, PlannedTrial] = {}
        self._study: optuna.Study | None = None
        self._console: Console | None = None

    # -- pickling: Ray Tune saves its search algorithm; clients and consoles stay behind
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_study"] = None
        state["_console"] = None
        return state

    @property
    def console(self) -> Console:
        """Where per-trial lines go (stderr; silent without ``progress``)."""
        if self._console is None:
            self._console = Console(stderr=True, quiet=not self.progress)
        return self._console

    @property
    def study(self) -> optuna.Study:
        """The TPE study, opened (and reconciled with the ledger) on first use."""
        if self._study is None:
            self._study = open_study(self.sweep, self.ledger.sweep_dir / STUDY_FILE)
            self._reconcile(self._study)
        return self._study

    def _reconcile(self, study: optuna.Study) -> None:
        """Close trials a killed run left RUNNING: COMPLETE if the ledger has them, else FAIL."""
        from optuna.trial import TrialState

        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            record = self.finished.get(str(trial.user_attrs.get("key")))
            value = None if record is None else _objective(record)
            if value is not None:
                study.tell(trial.number, value)
            else:
                study.tell(trial.number, state=TrialState.FAIL)

    # -- planning
    def next_trial(self) -> PlannedTrial | None:
        """The next trial to run, or None when this run has issued all it should."""
        if self.issued >= self.to_run:
            return None
        planned = self._queue.pop(0) if not self.tpe else self._ask()
        if planned is None:
            self.to_run = self.issued
            return None
        self.issued += 1
        self._in_flight[planned.key] = planned
        return planned

    def _ask(self) -> PlannedTrial | None:
        from optuna.trial import TrialState

        study = self.study
        for _ in range(_MAX_REASKS):
            trial = study.ask()
            overrides = suggest_overrides(trial, self.sweep.spec.space)
            key = trial_key(overrides)
            trial.set_user_attr("key", key)
            if key in self.finished:  # TPE proposed a finished config: tell it the known value
                value = _objective(self.finished[key])
                if value is None:
                    study.tell(trial, state=TrialState.FAIL)
                else:
                    study.tell(trial, value)
                continue
            if key in self._in_flight:
                study.tell(trial, state=TrialState.FAIL)
                continue
            try:
                self.sweep.trial_experiment(overrides)
            except ConfigError as err:
                study.tell(trial, state=TrialState.FAIL)
                self.ledger.write_failure(key, overrides, str(err))
                self.console.print(f"[yellow]skipped[/] invalid configuration {key}: {err}",
                                   highlight=False)
                continue
            return PlannedTrial(key, trial.number, overrides)
        self.console.print(f"TPE proposed only finished, running or invalid configurations "
                           f"{_MAX_REASKS} times in a row: the space looks exhausted")
        return None

    # -- results
    def trial_finished(self, planned: PlannedTrial, summary: dict[str, Any]) -> TrialRecord:
        """Record a finished trial: ledger, Optuna, MLflow, one printed line."""
        self._in_flight.pop(planned.key, None)
        fields = {k: summary[k] for k in (
            "mcc", "mcc_ci_low", "mcc_ci_high", "ci_level", "accuracy", "n_oos_rows",
            "gate_passed", "gate_failing", "sharpe", "sharpe_ci_low", "sharpe_ci_high",
            "n_trades", "total_return", "max_drawdown", "report", "returns", "duration_s")}
        record = TrialRecord(
            key=planned.key, number=planned.number, overrides=planned.overrides,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"), **fields,
        )
        self.ledger.write(record)
        self.finished[record.key] = record
        self.done += 1
        if self.tpe:
            value = _objective(record)
            if value is None:
                from optuna.trial import TrialState

                self.study.tell(planned.number, state=TrialState.FAIL)
            else:
                self.study.tell(planned.number, value)
        if self.tracker is not None:
            self.tracker.log_trial(record, self.ledger.sweep_dir)
        self.console.print(self._line(record), highlight=False)
        return record

    def trial_failed(self, planned: PlannedTrial, message: str) -> None:
        """Record a trial that did not finish; it runs again on the next run."""
        self._in_flight.pop(planned.key, None)
        self.failed[planned.key] = message
        self.ledger.write_failure(planned.key, planned.overrides, message)
        if self.tpe:
            from optuna.trial import TrialState

            self.study.tell(planned.number, state=TrialState.FAIL)
        first = message.strip().splitlines()[-1] if message.strip() else "unknown error"
        self.console.print(f"[red]failed[/] trial {planned.key} "
                           f"{json.dumps(planned.overrides)}: {first}", highlight=False)

    def _line(self, r: TrialRecord) -> str:
        ci = ("" if r.mcc_ci_low is None or r.mcc_ci_high is None
              else f" [{r.mcc_ci_low:+.3f}, {r.mcc_ci_high:+.3f}]")
        gate = "PASS" if r.gate_passed else "REFUSED"
        sharpe = "" if r.sharpe is None else f", Sharpe {r.sharpe:+.2f}"
        shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in r.overrides.items())
        return (f"[{self.done + len(self.failed)}/{self.to_run}] trial {r.key} ({shown}): "
                f"MCC {r.mcc:+.3f}{ci}, gate {gate}{sharpe}, {r.duration_s:.0f} s")
