"""The sweep directory's memory: which trials finished, with what results.

Layout of a sweep directory::

    sweep.json                 manifest: name, base fingerprint, MLflow parent run
    ledger/<key>.json          one finished trial (written atomically by the driver)
    failures/<key>.json        the last error of a trial that did not finish
    trials/<key>/              the trial's report.json (+ .html), bundle/, returns.parquet
    optuna.db                  the TPE study (Optuna RDB storage), tpe sweeps only
    leaderboard.json/.csv      the ranking, rewritten at the end of every run

A trial is finished when, and only when, its ledger file exists; a re-run skips it. Every
file is JSON or Parquet written atomically: no pickle.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tradewind.data.atomic import write_text_atomic
from tradewind.evaluation._json import json_safe
from tradewind.exceptions import ConfigError

__all__ = ["Ledger", "SweepManifest", "TrialRecord", "sweep_lock"]

LEDGER, FAILURES, TRIALS = "ledger", "failures", "trials"
MANIFEST, LOCK = "sweep.json", ".lock"


def _dump(obj: Any) -> str:
    return json.dumps(json_safe(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial: its overrides and the out-of-sample figures the ranking uses.

    ``mcc_ci_low``/``mcc_ci_high`` bound the MCC at ``ci_level`` (moving-block bootstrap);
    Sharpe figures are annualised, after costs, from the out-of-sample backtest (None when
    the experiment's backtest is disabled). ``number`` is the grid index or Optuna's trial
    number; paths are relative to the sweep directory.
    """

    key: str
    number: int
    overrides: dict[str, Any]
    mcc: float
    mcc_ci_low: float | None
    mcc_ci_high: float | None
    ci_level: float
    accuracy: float
    n_oos_rows: int
    gate_passed: bool
    gate_failing: list[str]
    sharpe: float | None
    sharpe_ci_low: float | None
    sharpe_ci_high: float | None
    n_trades: int | None
    total_return: float | None
    max_drawdown: float | None
    report: str
    returns: str | None
    duration_s: float
    finished_at: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict."""
        return json_safe(asdict(self))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrialRecord:
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - names)
        missing = sorted(names - set(raw))
        if unknown or missing:
            raise ConfigError(
                f"ledger record {raw.get('key')!r}: unknown keys {unknown}, missing {missing}; "
                "it was written by another tradewind version: re-run with --no-resume"
            )
        return cls(**raw)


@dataclass
class SweepManifest:
    """``sweep.json``: what the directory belongs to, so a resume cannot mix two sweeps."""

    name: str
    fingerprint: str
    method: str
    sweep_file: str
    experiment: str
    created_at: str
    mlflow_experiment: str | None = None
    mlflow_parent_run_id: str | None = None
    tracking_uri: str | None = None

    @classmethod
    def read(cls, sweep_dir: Path) -> SweepManifest | None:
        """The manifest, or None in a new directory."""
        path = sweep_dir / MANIFEST
        if not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        try:
            return cls(**raw)
        except TypeError as err:
            raise ConfigError(f"{path}: not a tradewind sweep manifest ({err})") from err

    def write(self, sweep_dir: Path) -> Path:
        """Write ``sweep.json`` atomically."""
        return write_text_atomic(sweep_dir / MANIFEST, _dump(asdict(self)))


class Ledger:
    """Finished trials (``ledger/<key>.json``) and last errors (``failures/<key>.json``)."""

    def __init__(self, sweep_dir: str | Path) -> None:
        self.sweep_dir = Path(sweep_dir)

    def trial_dir(self, key: str) -> Path:
        """Where a trial writes its report, bundle and returns."""
        return self.sweep_dir / TRIALS / key

    def records(self) -> dict[str, TrialRecord]:
        """Every finished trial by key, in order of ``number``."""
        folder = self.sweep_dir / LEDGER
        out = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as err:
                raise ConfigError(f"{path}: unreadable ledger entry ({err}); delete it to "
                                  "re-run that trial") from err
            out.append(TrialRecord.from_dict(raw))
        return {r.key: r for r in sorted(out, key=lambda r: (r.number, r.key))}

    def write(self, record: TrialRecord) -> Path:
        """Record a finished trial (atomically) and forget its earlier failure."""
        path = write_text_atomic(self.sweep_dir / LEDGER / f"{record.key}.json",
                                 _dump(record.to_dict()))
        with contextlib.suppress(FileNotFoundError):
            (self.sweep_dir / FAILURES / f"{record.key}.json").unlink()
        return path

    def write_failure(self, key: str, overrides: dict[str, Any], message: str) -> Path:
        """Keep the last error of a trial that did not finish (it runs again on resume)."""
        body = {"key": key, "overrides": overrides, "error": message}
        return write_text_atomic(self.sweep_dir / FAILURES / f"{key}.json", _dump(body))

    def failures(self) -> dict[str, dict[str, Any]]:
        """Last errors of trials that have not finished, by key."""
        folder = self.sweep_dir / FAILURES
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in paths}


@contextlib.contextmanager
def sweep_lock(sweep_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the sweep directory (released even if the process is killed).

    Two drivers on one ledger and one Optuna study would run trials twice; the second
    one gets a ConfigError instead.
    """
    sweep_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(sweep_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"{sweep_dir} is in use by another tradewind sweep; wait for it or use another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
