"""The model registry: MLflow runs, model versions, and the ``candidate`` → ``champion`` aliases.

Every experiment becomes one MLflow run (parameters, per-epoch and out-of-sample metrics,
the report, the bundle, the gate verdict) and one version of a registered model whose
``candidate`` alias moves to it. :meth:`Registry.promote` moves ``champion`` only to a
version whose promotion gate passed, unless a person overrides with a reason that is
recorded in the version's tags.

By default MLflow runs embedded: SQLite at ``<root>/mlflow.db`` with artifacts under
``<root>/artifacts``. ``TRADEWIND_TRACKING_URI`` or an explicit URI points it anywhere
MLflow can reach. MLflow is imported on first use, so importing this module is cheap.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradewind.artifacts.registry_records import (
    CANDIDATE,
    CHAMPION,
    PromotionRecord,
    RunRecord,
    VersionRow,
    check_gate,
    epoch_metric_rows,
    flatten,
    now_utc,
    oos_metric_rows,
    param_value,
    refusal_message,
    user_name,
)
from tradewind.artifacts.registry_store import ensure_sqlite_store, sqlite_path
from tradewind.exceptions import BundleError, ConfigError, GateRefused

__all__ = ["ENV_TRACKING_URI", "PromotionRecord", "Registry", "RunRecord", "VersionRow"]

ENV_TRACKING_URI = "TRADEWIND_TRACKING_URI"
_BUNDLE_PATH, _REPORT_PATH, _GATE_FILE = "bundle", "report", "gate.json"
REPORT_FILES = ("report.json", "report.html")  # what a run writes beside its bundle
_MAX_TAG = 5000  # portable model-version tag length (servers differ; SQLite allows more)
_RUN_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def _mlflow() -> Any:
    """Import MLflow quietly: no telemetry, no INFO chatter, no deprecation noise."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # downloads: no bar
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"mlflow(\.|$)")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"mlflow(\.|$)")
    import mlflow

    for name in ("mlflow", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return mlflow


class Registry:
    """MLflow tracking and model registry for tradewind experiments.

    Parameters
    ----------
    tracking_uri
        Any MLflow tracking URI. Default: ``$TRADEWIND_TRACKING_URI``, else
        ``sqlite:///<root>/mlflow.db`` with artifacts under ``<root>/artifacts``.
    root
        Folder of the embedded store (only used without a URI).
    model_name
        Registered model that every logged bundle becomes a version of.
    """

    def __init__(self, tracking_uri: str | None = None, *, root: Path = Path("runs"),
                 model_name: str = "tradewind") -> None:
        if not model_name or "'" in model_name or '"' in model_name:
            raise ConfigError(f"registry model_name {model_name!r} must be non-empty without quotes")
        self.root = Path(root)
        self.model_name = model_name
        self.embedded = tracking_uri is None and not os.environ.get(ENV_TRACKING_URI)
        if tracking_uri is not None:
            self.tracking_uri = tracking_uri
        elif not self.embedded:
            self.tracking_uri = os.environ[ENV_TRACKING_URI]
        else:
            self.tracking_uri = f"sqlite:///{(self.root.resolve() / 'mlflow.db').as_posix()}"
        self._client_: Any = None

    def __repr__(self) -> str:
        return f"Registry({self.tracking_uri!r}, model_name={self.model_name!r})"

    @property
    def client(self) -> Any:
        """The ``mlflow.MlflowClient`` on this store (created on first use), for callers that
        log more than a training run, e.g. a sweep's parent and child runs."""
        if self._client_ is None:
            mlflow = _mlflow()
            if self.embedded:
                (self.root / "artifacts").mkdir(parents=True, exist_ok=True)
            db = sqlite_path(self.tracking_uri)
            if db is not None:  # built whole under a lock: safe against kills and races
                ensure_sqlite_store(db, (self.root / "artifacts").resolve().as_uri())
            self._client_ = mlflow.MlflowClient(self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client_

    # ------------------------------------------------------------------ logging
    def experiment_id(self, name: str) -> str:
        """The id of MLflow experiment ``name``, created (with this store's artifact folder)
        when missing; safe when another process creates it at the same time."""
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = (self.root / "artifacts").resolve().as_uri() if self.embedded else None
        try:
            return self.client.create_experiment(name, artifact_location=location)
        except MlflowException as err:  # created meanwhile by another process
            if err.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            return self.client.get_experiment_by_name(name).experiment_id

    def log_batches(self, run_id: str, params: dict[str, str], metrics: list[tuple[str, float, int]],
                    tags: dict[str, str]) -> None:
        """Log params, ``(key, value, step)`` metrics and tags to ``run_id`` in batches of
        MLflow's size limits (100 params, 1,000 metrics per call)."""
        from mlflow.entities import Metric, Param, RunTag

        stamp = int(time.time() * 1000)
        param_list = [Param(k, v) for k, v in params.items()]
        metric_list = [Metric(k, v, stamp, s) for k, v, s in metrics]
        for i in range(0, len(param_list), 100):
            self.client.log_batch(run_id, params=param_list[i:i + 100])
        for i in range(0, len(metric_list), 1000):
            self.client.log_batch(run_id, metrics=metric_list[i:i + 1000])
        self.client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])

    def _ensure_model(self) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException as err:
            if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            try:
                self.client.create_registered_model(
                    self.model_name, description="tradewind model bundles; see each version's gate tags")
            except MlflowException as again:
                if again.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise

    def log_run(self, *, experiment: str, params: dict, epoch_metrics: list[dict],
                oos_metrics: dict[str, float], report_dir: Path | None, bundle_dir: Path,
                gate: dict, tags: dict | None = None,
                report_files: tuple[str, ...] = REPORT_FILES) -> RunRecord:
        """Log one experiment as an MLflow run and register its bundle as a model version.

        ``params`` may nest (flattened to dotted keys). ``epoch_metrics`` rows carry
        ``fold`` and ``epoch`` (the step) beside numeric values, logged as
        ``fold<k>.<name>``. ``oos_metrics`` are logged as ``oos.<name>``. The files of ``report_dir`` named in
        ``report_files`` (those present) go under ``report/``, nothing else: a run folder may
        hold files that are not the run's to publish. ``gate`` is
        ``{"passed": bool, "checks": [{"name", "value", "threshold", "passed", ...}]}``;
        it is stored as ``gate.json``, as run tags and as version tags. The new version
        gets the alias ``candidate``.
        """
        bundle_dir = Path(bundle_dir)
        if not bundle_dir.is_dir():
            raise BundleError(f"bundle directory {bundle_dir} does not exist: save the bundle first")
        if report_dir is not None and not Path(report_dir).is_dir():
            raise FileNotFoundError(f"report directory {report_dir} does not exist; pass None to skip")
        passed, failing = check_gate(gate)
        failing_names = ",".join(str(c["name"]) for c in failing)
        gate_tags = {"gate_passed": str(passed).lower(), "gate_failing": failing_names}
        metrics = epoch_metric_rows(epoch_metrics)
        metrics += [(key, val, 0) for key, val in oos_metric_rows(oos_metrics)]
        params_flat = {k: param_value(v) for k, v in flatten(params).items()}

        client = self.client
        run = client.create_run(self.experiment_id(experiment))
        run_id, status = run.info.run_id, "FAILED"
        try:
            run_tags = {str(k): str(v) for k, v in (tags or {}).items()}
            self.log_batches(run_id, params_flat, metrics, {**run_tags, **gate_tags})
            client.log_dict(run_id, json.loads(json.dumps(gate, default=str)), _GATE_FILE)
            for name in report_files if report_dir is not None else ():
                path = Path(report_dir) / name
                if path.is_file():
                    client.log_artifact(run_id, str(path), _REPORT_PATH)
            client.log_artifacts(run_id, str(bundle_dir), _BUNDLE_PATH)
            status = "FINISHED"
        finally:
            client.set_terminated(run_id, status)

        source = f"{run.info.artifact_uri.rstrip('/')}/{_BUNDLE_PATH}"
        checks = json.dumps(gate["checks"], default=str)
        if len(checks) > _MAX_TAG:
            checks = json.dumps([{k: c.get(k) for k in ("name", "value", "threshold", "passed")}
                                 for c in failing], default=str)[:_MAX_TAG]
        self._ensure_model()
        version = client.create_model_version(
            self.model_name, source=source, run_id=run_id,
            tags={**gate_tags, "gate_checks": checks, "experiment": experiment},
            description=f"experiment {experiment}; gate {'passed' if passed else 'refused'}",
        )
        client.set_registered_model_alias(self.model_name, CANDIDATE, str(version.version))
        return RunRecord(run_id, self.model_name, str(version.version), source)

    # ------------------------------------------------------------------ lookup
    def _resolve(self, ref: str) -> Any:
        """A model version from a version number, an alias or a run id."""
        from mlflow.exceptions import MlflowException

        ref = str(ref).strip()
        try:
            if ref.isdigit():
                return self.client.get_model_version(self.model_name, ref)
            aliases = self.client.get_registered_model(self.model_name).aliases
            if ref in aliases:
                return self.client.get_model_version(self.model_name, str(aliases[ref]))
            if _RUN_ID.match(ref):
                found = self.client.search_model_versions(
                    f"name='{self.model_name}' and run_id='{ref}'")
                if found:
                    return max(found, key=lambda v: int(v.version))
        except MlflowException as err:
            if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        known = ", ".join(r.version for r in self.list_versions()) or "none"
        raise BundleError(
            f"model {self.model_name!r} has no version, alias or run {ref!r} in {self.tracking_uri} "
            f"(versions: {known}); pass a version number, 'champion', 'candidate' or a run id")

    def alias_version(self, alias: str) -> str | None:
        """The version an alias points to, or None (cheap: for servers polling for moves)."""
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(self.model_name, alias).version)
        except MlflowException as err:
            if err.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise

    def override_reason(self, version_or_alias: str) -> str | None:
        """The reason recorded by an audited override (``promote --override``), or None."""
        reason = (self._resolve(version_or_alias).tags or {}).get("override_reason")
        return (reason or "").strip() or None

    def _aliases(self) -> dict[str, list[str]] | None:
        """Version → its aliases; None when the registered model does not exist yet."""
        from mlflow.exceptions import MlflowException

        try:
            model = self.client.get_registered_model(self.model_name)
        except MlflowException as err:
            if err.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        out: dict[str, list[str]] = {}
        for alias, version in sorted(model.aliases.items()):
            out.setdefault(str(version), []).append(alias)
        return out

    def _row(self, mv: Any, aliases: dict[str, list[str]]) -> VersionRow:
        from mlflow.exceptions import MlflowException

        metrics: dict[str, float] = {}
        if mv.run_id:
            try:
                metrics = self.client.get_run(mv.run_id).data.metrics
            except MlflowException as err:
                if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                    raise
        tags = mv.tags or {}
        gate = tags.get("gate_passed")
        return VersionRow(
            version=str(mv.version), run_id=mv.run_id or None,
            aliases=tuple(aliases.get(str(mv.version), [])),
            created=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC),
            mcc=metrics.get("oos.mcc"), mcc_ci_low=metrics.get("oos.mcc_ci_low"),
            accuracy=metrics.get("oos.accuracy"), ece=metrics.get("oos.ece"),
            gate_passed=None if gate is None else gate == "true",
            gate_failing=tuple(n for n in tags.get("gate_failing", "").split(",") if n),
            overridden="override_reason" in tags,
        )

    def list_versions(self) -> list[VersionRow]:
        """Every version of the model, oldest first, with its key metrics and gate verdict."""
        aliases = self._aliases()
        if aliases is None:
            return []
        versions, token = [], None
        while True:
            page = self.client.search_model_versions(
                f"name='{self.model_name}'", max_results=1000, page_token=token)
            versions.extend(page)
            token = page.token
            if not token:
                break
        return [self._row(mv, aliases) for mv in sorted(versions, key=lambda v: int(v.version))]

    def champion(self) -> VersionRow | None:
        """The version the ``champion`` alias points to, or None before any promotion."""
        version = self.alias_version(CHAMPION)
        if version is None:
            return None
        aliases = self._aliases() or {}
        return self._row(self.client.get_model_version(self.model_name, version), aliases)

    # ------------------------------------------------------------------ actions
    def promote(self, version_or_run: str, *, override_reason: str | None = None,
                user: str | None = None) -> PromotionRecord:
        """Point ``champion`` at a version (number, alias or run id) whose gate passed.

        Raises
        ------
        GateRefused
            The version's gate failed (or was never recorded) and no ``override_reason``
            was given. With a reason, the version is promoted and ``override_reason``,
            ``override_by`` and ``override_at`` (UTC) are written to its tags.
        """
        mv = self._resolve(version_or_run)
        version, tags = str(mv.version), mv.tags or {}
        passed = tags.get("gate_passed") == "true"
        previous = self.alias_version(CHAMPION)
        who, now = user_name(user), now_utc()
        reason = (override_reason or "").strip() or None
        if not passed and reason is None:
            raise GateRefused(refusal_message(self.model_name, version, mv.run_id, tags))
        client = self.client
        if not passed:
            for key, val in (("override_reason", reason), ("override_by", who), ("override_at", now)):
                client.set_model_version_tag(self.model_name, version, key, val)
        client.set_model_version_tag(self.model_name, version, "promoted_by", who)
        client.set_model_version_tag(self.model_name, version, "promoted_at", now)
        client.set_registered_model_alias(self.model_name, CHAMPION, version)
        overridden = not passed
        return PromotionRecord(
            model_name=self.model_name, version=version, run_id=mv.run_id or None,
            previous_champion=previous, gate_passed=passed, overridden=overridden,
            override_reason=reason if overridden else None, override_by=who if overridden else None,
            override_at=now if overridden else None, promoted_by=who, promoted_at=now,
        )

    def set_version_tags(self, version_or_alias: str, tags: dict[str, str]) -> str:
        """Write ``tags`` on a version (number, alias or run id); returns the version number.

        Values longer than the portable tag limit (5,000 characters) are cut there.
        """
        version = str(self._resolve(version_or_alias).version)
        for key, value in tags.items():
            self.client.set_model_version_tag(self.model_name, version, key, str(value)[:_MAX_TAG])
        return version

    def log_version_artifact(self, version_or_alias: str, path: Path,
                             artifact_path: str | None = None) -> str:
        """Store the file ``path`` with the run that produced a version (under
        ``artifact_path``); returns the run id."""
        mv = self._resolve(version_or_alias)
        if not mv.run_id:
            raise BundleError(f"version {mv.version} of {self.model_name!r} has no run to hold "
                              f"{Path(path).name}")
        self.client.log_artifact(mv.run_id, str(path), artifact_path)
        return str(mv.run_id)

    def download_bundle(self, version_or_alias: str, dst: Path) -> Path:
        """Download a version's bundle (number, alias or run id) into ``dst``; return ``dst``.

        ``dst`` must not exist or be empty; the files appear there all at once (downloaded
        beside it, then renamed), so a reader never sees half a bundle.
        """
        mv = self._resolve(version_or_alias)
        dst = Path(dst)
        if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
            raise BundleError(f"{dst} exists and is not empty: download into a new directory")
        dst.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.download-"))
        try:
            local = _mlflow().artifacts.download_artifacts(
                artifact_uri=mv.source, dst_path=str(staging), tracking_uri=self.tracking_uri)
            local_path = Path(local)
            if not local_path.is_dir() or not any(local_path.iterdir()):
                raise BundleError(f"version {mv.version} of {self.model_name!r} has no bundle files "
                                  f"at {mv.source}: re-run the experiment to log it again")
            if dst.exists():
                dst.rmdir()
            os.replace(local_path, dst)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dst
