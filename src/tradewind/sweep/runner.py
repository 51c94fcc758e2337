"""``run_sweep``: a resumable sweep on Ray Tune, read top to bottom.

validate the space → lock the sweep directory → check it belongs to this sweep → open the
MLflow parent run and log trials it misses → plan what is missing (grid points or TPE
asks) → start Ray (local cores, or ``address``) → Tune runs the missing trials while the
driver records each one → leaderboard (MCC lower bound, deflated Sharpe, PBO) → close.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from tradewind import cluster
from tradewind.artifacts import Registry
from tradewind.exceptions import ConfigError
from tradewind.extras import require
from tradewind.sweep.driver import STUDY_FILE, SweepDriver
from tradewind.sweep.leaderboard import Leaderboard, build_leaderboard, write_leaderboard
from tradewind.sweep.ledger import (
    FAILURES,
    LEDGER,
    MANIFEST,
    TRIALS,
    Ledger,
    SweepManifest,
    sweep_lock,
)
from tradewind.sweep.space import check_space
from tradewind.sweep.spec import SweepFile
from tradewind.sweep.tracking import SweepTracker
from tradewind.sweep.trial import TrialSetup, tune_trainable

__all__ = ["SweepResult", "ray_session", "run_sweep"]

@dataclass(frozen=True)
class SweepResult:
    """What a ``run_sweep`` call did and where its outputs are.

    ``finished_before`` trials were in the ledger when it started; ``ran`` finished in
    this call and ``failed`` did not (they run again next time). ``complete`` is True when
    nothing is left to run.
    """

    sweep_dir: Path
    leaderboard: Leaderboard
    leaderboard_json: Path
    leaderboard_csv: Path
    finished_before: int
    ran: int
    failed: dict[str, str]
    complete: bool
    mlflow_parent_run_id: str | None
    tracking_uri: str | None


def _scratch_dir(sweep_dir: Path) -> Path:
    """Ray's session files and Tune's bookkeeping for one sweep directory.

    Under the system temp folder, not the sweep directory: Ray's unix sockets live in it
    and their paths must stay under 107 bytes. Named after the sweep directory, so a
    killed run's leftovers are found and removed by the next run (the sweep lock makes
    sure no other run is using them).
    """
    digest = hashlib.sha256(str(sweep_dir).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"tradewind-sweep-{digest}"


def _is_client(address: str | None) -> bool:
    return bool(address) and str(address).startswith("ray://")


def ray_session(address: str | None, sweep_dir: Path) -> contextlib.AbstractContextManager[Path]:
    """Connect to Ray for the sweep (:func:`tradewind.cluster.ray_session`); yield a scratch
    folder for Tune, named after ``sweep_dir`` so a killed run's is found and removed."""
    return cluster.ray_session(address, _scratch_dir(sweep_dir))


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for a block, unless the user has set it."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


def _clear(sweep_dir: Path, console: Console) -> None:
    """``--no-resume``: remove this sweep's own files (not anything else in the folder)."""
    removed = []
    for name in (LEDGER, FAILURES, TRIALS):
        if (sweep_dir / name).exists():
            shutil.rmtree(sweep_dir / name)
            removed.append(name + "/")
    for name in (STUDY_FILE, MANIFEST, "leaderboard.json", "leaderboard.csv"):
        if (sweep_dir / name).exists():
            (sweep_dir / name).unlink()
            removed.append(name)
    if removed:
        console.print(f"--no-resume: removed {', '.join(removed)} from {sweep_dir}")


def _manifest(sweep: SweepFile, sweep_dir: Path) -> SweepManifest:
    found = SweepManifest.read(sweep_dir)
    if found is not None and found.fingerprint != sweep.fingerprint:
        raise ConfigError(
            f"{sweep_dir} holds trials of a different base experiment (made from "
            f"{found.sweep_file} on {found.experiment}); the experiment file, the sweep's "
            "overrides or --set changed, and resuming would mix the two. Use --no-resume to "
            "start over there, or another --out"
        )
    if found is None:
        found = SweepManifest(
            name=sweep.name, fingerprint=sweep.fingerprint, method=sweep.spec.search.method,
            sweep_file=str(sweep.path), experiment=str(sweep.experiment_path),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
    found.method = sweep.spec.search.method
    return found


def _tracker(sweep: SweepFile, manifest: SweepManifest) -> SweepTracker | None:
    """MLflow bookkeeping in the experiment's registry store; None when it is disabled."""
    spec = sweep.base_experiment().registry
    if not spec.enabled:
        return None
    registry = Registry(spec.tracking_uri, root=Path(spec.root), model_name=spec.model_name)
    same_store = manifest.tracking_uri == registry.tracking_uri
    return SweepTracker(registry, sweep.name, manifest.mlflow_parent_run_id if same_store else None)


def _check_resources(sweep: SweepFile, cluster: dict[str, float]) -> None:
    """Refuse a trial size the cluster cannot ever run (Tune would wait for it forever)."""
    res = sweep.spec.resources_per_trial
    for name, wanted, have in (("cpus", res.cpus, cluster.get("CPU", 0.0)),
                               ("gpus", res.gpus, cluster.get("GPU", 0.0))):
        if wanted > have:
            raise ConfigError(
                f"{sweep.path}: resources_per_trial.{name}={wanted:g} but the Ray cluster has "
                f"{have:g} in all; lower it or use --address to reach a cluster that has them"
            )


def _execute(driver: SweepDriver, sweep: SweepFile, sweep_dir: Path, address: str | None,
             max_concurrent: int | None) -> None:
    """Run the driver's missing trials as Ray Tune trials."""
    with ray_session(address, sweep_dir) as scratch:
        import ray
        from ray import tune

        from tradewind.sweep.tune_search import SweepSearcher

        res = sweep.spec.resources_per_trial
        _check_resources(sweep, ray.cluster_resources())
        setup = TrialSetup(base=sweep.base, where=sweep.where, sweep_dir=str(sweep_dir),
                           cwd=os.getcwd(), cpus=res.cpus, html=sweep.spec.trial_html)
        slots = max(int(ray.cluster_resources().get("CPU", 1) // res.cpus), 1)
        concurrency = max_concurrent or sweep.spec.max_concurrent
        if concurrency is None and driver.tpe:  # TPE learns more from fewer trials at once
            concurrency = slots
        trainable = tune.with_resources(tune.with_parameters(tune_trainable, setup=setup),
                                        {"cpu": res.cpus, "gpu": res.gpus})
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(
                search_alg=SweepSearcher(driver), num_samples=driver.to_run,
                max_concurrent_trials=concurrency, reuse_actors=True,
            ),
            run_config=tune.RunConfig(
                name="tune", storage_path=str(scratch / "tune"), verbose=0,
                failure_config=tune.FailureConfig(max_failures=0),
            ),
        )
        # Tune keeps one trial pending for custom search algorithms; let it fill the slots
        with _env("TUNE_MAX_PENDING_TRIALS_PG", str(min(concurrency or slots, slots))):
            results = tuner.fit()
        for result in results:  # keep the full error of trials that raised
            config = result.config or {}
            key = str(config.get("trial"))
            if result.error is not None and key in driver.failed:
                overrides = json.loads(config.get("overrides", "{}"))
                driver.ledger.write_failure(key, overrides, str(result.error))


def run_sweep(
    sweep: SweepFile,
    *,
    out_dir: str | Path | None = None,
    address: str | None = None,
    resume: bool = True,
    max_concurrent: int | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> SweepResult:
    """Run (or resume) a sweep: the missing trials on Ray Tune, then the leaderboard.

    Parameters
    ----------
    sweep
        From :func:`~tradewind.sweep.load_sweep`.
    out_dir
        The sweep directory; default ``out/sweeps/<name>``.
    address
        An existing Ray cluster; default: start Ray locally on this machine's cores.
    resume
        Keep finished trials (default). False removes the sweep's files there first.
    max_concurrent
        Trials at once; default the sweep file's ``max_concurrent``, else as many as the
        resources allow (TPE: one per ``resources_per_trial.cpus`` cores).
    progress
        Print what happens (stderr).
    """
    require("ray.tune", "tradewind sweep")
    require("optuna", "tradewind sweep")
    console = console or Console(stderr=True, quiet=not progress)
    sweep_dir = Path(out_dir if out_dir is not None else Path("out/sweeps") / sweep.name).resolve()
    grid = check_space(sweep)
    with sweep_lock(sweep_dir):
        if not resume:
            _clear(sweep_dir, console)
        manifest = _manifest(sweep, sweep_dir)
        ledger = Ledger(sweep_dir)
        tracker = _tracker(sweep, manifest)
        if tracker is not None:
            manifest.mlflow_parent_run_id = tracker.start(
                f"sweep-{sweep.name}",
                {"tradewind.sweep_dir": str(sweep_dir), "tradewind.method": manifest.method},
            )
            manifest.mlflow_experiment, manifest.tracking_uri = sweep.name, tracker.tracking_uri
        manifest.write(sweep_dir)
        if tracker is not None:
            tracker.sync(ledger.records().values(), sweep_dir)
        driver = SweepDriver(sweep, ledger, grid=grid, tracker=tracker, progress=progress)
        before, finished_keys = len(driver.finished), set(driver.finished)
        console.print(f"sweep {sweep.name} ({sweep.spec.search.method}): {before} finished, "
                      f"{driver.to_run} to run, in {sweep_dir}", highlight=False)
        if driver.to_run:
            _execute(driver, sweep, sweep_dir, address, max_concurrent)
        records = ledger.records()
        # Count from the sweep directory, not the driver: under Ray Client (ray://) Tune runs
        # its loop, and with it a copy of the driver, on the cluster's head node.
        ran = len(set(records) - finished_keys)
        failed = dict(driver.failed)
        if _is_client(address):
            failed = {key: str(body.get("error", "")) for key, body in ledger.failures().items()
                      if key not in records}
        board = build_leaderboard(sweep.name, records.values(), sweep_dir,
                                  n_blocks=sweep.spec.pbo_blocks)
        json_path, csv_path = write_leaderboard(board, sweep_dir)
        left = max(driver.to_run - ran, 0)
        if tracker is not None:
            tracker.sync(records.values(), sweep_dir)
            winner = board.winner
            tracker.finish(
                {"n_trials": board.n_trials,
                 "best_mcc_ci_low": None if winner is None else winner.mcc_ci_low,
                 "best_mcc": None if winner is None else winner.mcc,
                 "winner_deflated_sharpe": board.deflated_sharpe,
                 "pbo": None if board.pbo is None else board.pbo.pbo},
                {"winner": "" if winner is None else winner.key},
                [json_path, csv_path], complete=left == 0,
            )
    return SweepResult(
        sweep_dir=sweep_dir, leaderboard=board, leaderboard_json=json_path,
        leaderboard_csv=csv_path, finished_before=before, ran=ran,
        failed=failed, complete=left == 0,
        mlflow_parent_run_id=None if tracker is None else tracker.parent_run_id,
        tracking_uri=None if tracker is None else tracker.tracking_uri,
    )
