"""The registry's SQLite store survives a SIGKILL during its first start-up and two
processes starting on a fresh folder at once (each in its own Python process)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradewind.artifacts import ENV_TRACKING_URI, Registry
from tradewind.artifacts.registry_store import ensure_sqlite_store, sqlite_path
from tradewind.exceptions import RegistryError

# A child process: builds the store (``start``), registers one version (``register``), or
# lets MLflow alone migrate mlflow.db in place (``mlflow``, what older releases did). With
# ``--marked`` it prints "migrating" when MLflow starts its schema migrations, so the
# parent can kill it during them; with ``--go FILE`` it waits for FILE after importing.
_CHILD = r"""
import json, sys, time, uuid
from pathlib import Path

root, mode = Path(sys.argv[1]), sys.argv[2]
import mlflow.store.db.utils as db_utils
if "--marked" in sys.argv:
    original = db_utils._upgrade_db
    def marked(engine):
        print("migrating", flush=True)
        original(engine)
    db_utils._upgrade_db = marked
from tradewind.artifacts import Registry
if "--go" in sys.argv:
    go = Path(sys.argv[sys.argv.index("--go") + 1])
    while not go.exists():
        time.sleep(0.005)
if mode == "mlflow":
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    root.mkdir(parents=True, exist_ok=True)
    SqlAlchemyStore(f"sqlite:///{root / 'mlflow.db'}", (root / "artifacts").as_uri())
    sys.exit(0)
reg = Registry(root=root, model_name="m")
if mode == "start":
    print(json.dumps({"versions": len(reg.list_versions())}))
    sys.exit(0)
bundle = root.parent / f"bundle-{uuid.uuid4().hex[:8]}"
bundle.mkdir()
(bundle / "manifest.json").write_text("{}")
gate = {"passed": True, "checks": [{"name": "mcc", "value": 0.1, "threshold": 0.0, "passed": True}]}
record = reg.log_run(experiment="race", params={"x": 1}, epoch_metrics=[], oos_metrics={},
                     report_dir=None, bundle_dir=bundle, gate=gate)
print(json.dumps({"version": record.version}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_TRACKING_URI}
    env.update(OMP_NUM_THREADS="1", MLFLOW_DISABLE_TELEMETRY="true")
    return env


def _child(root: Path, mode: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(root), mode, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _finish(proc: subprocess.Popen[str], timeout: float = 300) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _kill_while_migrating(root: Path, mode: str, delay: float) -> None:
    """Start a child, wait until MLflow migrates, SIGKILL it ``delay`` seconds later."""
    proc = _child(root, mode, "--marked")
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until "migrating" (or the child ends)
    assert line.strip() == "migrating", proc.communicate(timeout=60)[1][-3000:]
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)


def _register_once(root: Path) -> str:
    return _finish(_child(root, "register"))["version"]


def _race(root: Path, n: int, tmp: Path) -> list[str]:
    go = tmp / f"go-{n}"
    procs = [_child(root, "register", "--go", str(go)) for _ in range(n)]
    time.sleep(0.5)
    go.touch()  # every child has imported MLflow by now or soon: they start together
    return sorted(_finish(p)["version"] for p in procs)


def test_a_kill_during_the_first_start_leaves_a_store_the_next_start_uses(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _kill_while_migrating(root, "start", random.uniform(0.0, 1.0))
    assert not list(root.glob("mlflow.db.incomplete-*"))  # never a half-built store in place
    assert _register_once(root) == "1"
    assert not list(root.glob(".mlflow.db.init-*"))  # the killed build's file is cleaned up


def test_two_runs_on_a_fresh_folder_both_register(tmp_path: Path) -> None:
    assert _race(tmp_path / "runs", 2, tmp_path) == ["1", "2"]


@pytest.mark.slow
def test_a_store_half_built_by_mlflow_alone_is_set_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "runs"
    _kill_while_migrating(root, "mlflow", 0.3)
    db = root / "mlflow.db"
    with sqlite3.connect(db) as conn:  # the state older releases were left in
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision is not None
    with caplog.at_level("WARNING", logger="tradewind.registry"):
        Registry(root=root, model_name="m").list_versions()
    aside = list(root.glob("mlflow.db.incomplete-*Z"))
    assert len(aside) == 1
    assert "half-built" in caplog.text and aside[0].name in caplog.text
    assert _register_once(root) == "1"


def test_an_empty_store_of_an_unfinished_migration_is_set_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    root = tmp_path / "runs"
    root.mkdir()
    with sqlite3.connect(root / "mlflow.db") as conn:  # migrations stopped half-way, no runs
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('451aebb31d03')")
        conn.execute("CREATE TABLE runs (run_uuid TEXT, step INTEGER)")
    (root / ".mlflow.db.init-deadbeef").write_bytes(b"a build killed earlier")
    reg = Registry(root=root, model_name="m")
    with caplog.at_level("WARNING", logger="tradewind.registry"):
        assert reg.list_versions() == []
    aside = list(root.glob("mlflow.db.incomplete-*Z"))
    assert len(aside) == 1 and "451aebb31d03" in caplog.text and aside[0].name in caplog.text
    assert not (root / ".mlflow.db.init-deadbeef").exists()
    assert reg.client.get_experiment("0") is not None  # a complete store, default experiment too
    (root / "mlflow.db.lock").unlink()
    assert Registry(root=root, model_name="m2").list_versions() == []
    assert not (root / "mlflow.db.lock").exists()  # a complete store is opened without the lock


@pytest.mark.slow
def test_kills_at_many_points_then_races_of_four(tmp_path: Path) -> None:
    rng = random.Random(16)
    for attempt in range(6):
        root = tmp_path / f"runs-{attempt}"
        _kill_while_migrating(root, "start", rng.uniform(0.0, 3.0))
        if attempt % 2:  # a second kill on the same folder, now with a stale build file
            _kill_while_migrating(root, "start", rng.uniform(0.0, 3.0))
        assert _register_once(root) == "1"
    assert _race(tmp_path / "race", 4, tmp_path) == ["1", "2", "3", "4"]


def test_a_store_with_runs_and_another_schema_is_refused_with_the_upgrade_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('0a8213491aaa')")
        conn.execute("CREATE TABLE runs (run_uuid TEXT)")
        conn.execute("INSERT INTO runs VALUES ('abc')")
    with pytest.raises(RegistryError, match=r"0a8213491aaa.*mlflow db upgrade sqlite:///"):
        ensure_sqlite_store(db, tmp_path.as_uri())
    assert db.exists()  # a store with data is never moved or rebuilt


def test_a_file_that_is_not_sqlite_is_refused_by_name(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.write_text("not a database, just text that is long enough to have a header" * 10)
    with pytest.raises(RegistryError, match=r"mlflow\.db is not a readable SQLite database"):
        ensure_sqlite_store(db, tmp_path.as_uri())


def test_sqlite_path_of_uris() -> None:
    assert sqlite_path("sqlite:////abs/runs/mlflow.db") == Path("/abs/runs/mlflow.db")
    assert sqlite_path("sqlite:///rel.db") == Path("rel.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("http://mlflow:5000") is None
