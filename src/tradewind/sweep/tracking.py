"""MLflow bookkeeping of a sweep: one parent run, one child run per finished trial.

Only the driver process logs (SQLite allows one writer at a time; trials return their
results instead). Logging is idempotent: a child run carries its trial key as a tag, and
:meth:`SweepTracker.sync` logs exactly the ledger's trials that have no child yet, so a
sweep killed between "trial finished" and "trial logged" catches up on the next run.
The store is the experiment's registry: SQLite under ``registry.root`` by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tradewind.artifacts import Registry
from tradewind.artifacts.registry_records import param_value
from tradewind.sweep.ledger import TrialRecord

__all__ = ["KEY_TAG", "SWEEP_TAG", "SweepTracker"]

KEY_TAG, SWEEP_TAG = "tradewind.trial_key", "tradewind.sweep"
_METRICS = ("mcc", "mcc_ci_low", "mcc_ci_high", "accuracy", "sharpe", "sharpe_ci_low",
            "sharpe_ci_high", "n_trades", "total_return", "max_drawdown", "duration_s")


class SweepTracker:
    """Parent and child runs of one sweep in one MLflow experiment.

    Parameters
    ----------
    registry
        The tradewind registry whose tracking store (and helpers) to use.
    experiment
        MLflow experiment name the sweep's runs go to.
    parent_run_id
        The parent run of an earlier, interrupted run of this sweep, reused when it still
        exists.
    """

    def __init__(self, registry: Registry, experiment: str, parent_run_id: str | None = None) -> None:
        self.registry = registry
        self.experiment = experiment
        self.parent_run_id = parent_run_id
        self._logged: dict[str, str] | None = None

    @property
    def tracking_uri(self) -> str:
        """Where the runs are."""
        return self.registry.tracking_uri

    def __getstate__(self) -> dict[str, Any]:
        """Plain state: an MLflow client does not travel between processes."""
        reg = self.registry
        uri = None if reg.embedded else reg.tracking_uri
        return {"registry": (uri, str(reg.root), reg.model_name),
                "experiment": self.experiment, "parent_run_id": self.parent_run_id}

    def __setstate__(self, state: dict[str, Any]) -> None:
        uri, root, model = state["registry"]
        self.registry = Registry(uri, root=Path(root), model_name=model)
        self.experiment = state["experiment"]
        self.parent_run_id = state["parent_run_id"]
        self._logged = None

    def start(self, name: str, tags: Mapping[str, str]) -> str:
        """Open the parent run (reusing the earlier one when it exists); return its id."""
        from mlflow.exceptions import MlflowException

        client = self.registry.client
        if self.parent_run_id is not None:
            try:
                run = client.get_run(self.parent_run_id)
                if run.info.lifecycle_stage != "deleted":
                    client.update_run(self.parent_run_id, status="RUNNING")
                    return self.parent_run_id
            except MlflowException as err:
                if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                    raise
        experiment_id = self.registry.experiment_id(self.experiment)
        run = client.create_run(experiment_id, run_name=name, tags={**tags, SWEEP_TAG: name})
        self.parent_run_id = run.info.run_id
        self._logged = {}
        return self.parent_run_id

    def logged(self) -> dict[str, str]:
        """Trial key → child run id of the children fully logged (FINISHED) in the store.

        A child a killed driver left half-logged (RUNNING or FAILED) is deleted here, so
        that :meth:`sync` logs its trial again and every trial has exactly one child.
        """
        if self._logged is None:
            client = self.registry.client
            experiment_id = client.get_run(self._parent()).info.experiment_id
            found: dict[str, str] = {}
            token = None
            while True:
                page = client.search_runs(
                    [experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{self._parent()}'",
                    max_results=1000, page_token=token,
                )
                for run in page:
                    key = run.data.tags.get(KEY_TAG)
                    if not key:
                        continue
                    if run.info.status == "FINISHED":
                        found[key] = run.info.run_id
                    else:  # cut short by a killed driver: drop it, the trial is logged again
                        client.delete_run(run.info.run_id)
                token = page.token
                if not token:
                    break
            self._logged = found
        return self._logged

    def _parent(self) -> str:
        if self.parent_run_id is None:
            raise RuntimeError("SweepTracker.start() must open the parent run first")
        return self.parent_run_id

    def log_trial(self, record: TrialRecord, sweep_dir: Path) -> str:
        """Log one finished trial as a child run (once); return the child's run id."""
        logged = self.logged()
        if record.key in logged:
            return logged[record.key]
        client = self.registry.client
        parent = self._parent()
        experiment_id = client.get_run(parent).info.experiment_id
        run = client.create_run(
            experiment_id, run_name=f"trial-{record.key}",
            tags={"mlflow.parentRunId": parent, KEY_TAG: record.key},
        )
        run_id, status = run.info.run_id, "FAILED"
        try:
            params = {k: param_value(v) for k, v in record.overrides.items()}
            params["trial_number"] = str(record.number)
            metrics = [(k, float(getattr(record, k)), 0) for k in _METRICS
                       if getattr(record, k) is not None]
            metrics.append(("gate_passed", 1.0 if record.gate_passed else 0.0, 0))
            tags = {"gate_passed": str(record.gate_passed).lower(),
                    "gate_failing": ",".join(record.gate_failing)}
            self.registry.log_batches(run_id, params, metrics, tags)
            report = sweep_dir / record.report
            if report.is_file():
                client.log_artifact(run_id, str(report), "report")
            status = "FINISHED"
        finally:
            client.set_terminated(run_id, status)
        logged[record.key] = run_id
        return run_id

    def sync(self, records: Iterable[TrialRecord], sweep_dir: Path) -> int:
        """Log every record without a child run; return how many were logged now."""
        missing = [r for r in records if r.key not in self.logged()]
        for record in missing:
            self.log_trial(record, sweep_dir)
        return len(missing)

    def finish(self, metrics: Mapping[str, float | None], tags: Mapping[str, str],
               artifacts: Iterable[Path], *, complete: bool) -> None:
        """Log the sweep's summary on the parent and close it (FINISHED or KILLED)."""
        client = self.registry.client
        parent = self._parent()
        rows = [(k, float(v), 0) for k, v in metrics.items() if v is not None]
        self.registry.log_batches(parent, {}, rows, {k: str(v) for k, v in tags.items()})
        for path in artifacts:
            if Path(path).is_file():
                client.log_artifact(parent, str(path))
        client.set_terminated(parent, "FINISHED" if complete else "KILLED")
