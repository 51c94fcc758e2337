"""Create MLflow's SQLite store so that a kill or a second process can never half-build it.

MLflow creates its tables on first use by running some sixty schema migrations in place.
A process killed during those seconds leaves a store that every later start refuses
(``duplicate column name``), and two processes starting at once on a fresh folder race
each other (``table alembic_version already exists``). Here the store is built in a
temporary file beside its final place, under a lock file, and renamed into place only
once complete: ``mlflow.db`` is either absent or whole.

A store left half-built by an older tradewind (or by MLflow alone) is recognised: when it
holds no run and no registered model it is set aside (renamed, never deleted) and built
again, with a warning naming both files; when it holds data, :class:`RegistryError` says
how to upgrade it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from filelock import FileLock

from tradewind.exceptions import RegistryError

__all__ = ["ensure_sqlite_store", "sqlite_path"]

log = logging.getLogger("tradewind.registry")
_BUILD_PREFIX = ".init-"
_LOCK_TIMEOUT_S = 600.0  # a cold build takes seconds; far longer means a stuck process


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI; None for any other URI or ``:memory:``."""
    if not uri.startswith("sqlite:"):
        return None
    parsed = urlparse(uri)
    path = unquote(parsed.path)
    if not path or path in ("/", "/:memory:") or ":memory:" in path:
        return None
    return Path(path[1:])  # sqlite:///rel.db → "/rel.db"; sqlite:////abs.db → "//abs.db"


@functools.lru_cache(maxsize=1)
def _head_revision() -> str:
    """The schema revision this MLflow expects (its newest migration)."""
    from mlflow.store.db.utils import _get_latest_schema_revision

    return str(_get_latest_schema_revision())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # persist a rename (POSIX)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _inspect(db: Path) -> tuple[str | None, int]:
    """(schema revision or None, rows in ``runs`` + ``registered_models``) of a SQLite file."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True)  # rw: rolls back a hot journal
    except sqlite3.Error as err:
        raise RegistryError(f"registry store {db} cannot be opened: {err}; move it aside "
                            "and run again to start a new store") from err
    try:
        tables = {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else str(row[0])
        rows = sum(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                   for table in ("runs", "registered_models") if table in tables)
        return revision, int(rows)
    except sqlite3.DatabaseError as err:
        raise RegistryError(f"registry store {db} is not a readable SQLite database ({err}); "
                            "move it aside and run again to start a new store") from err
    finally:
        conn.close()


def _build(db: Path, artifact_root: str) -> None:
    """Build a complete store in a temporary file beside ``db``, then rename it to ``db``."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    tmp = db.with_name(f".{db.name}{_BUILD_PREFIX}{uuid.uuid4().hex[:8]}")
    uri = f"sqlite:///{tmp.as_posix()}"
    try:
        store = SqlAlchemyStore(uri, artifact_root)  # runs every migration on the new file
        store.engine.dispose()
        getattr(SqlAlchemyStore, "_engine_map", {}).pop(uri, None)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, db)
        _fsync_dir(db.parent)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)


def _remove_stale_builds(db: Path) -> None:
    """Delete temporary stores of builds that were killed (only called under the lock)."""
    for stale in db.parent.glob(f".{db.name}{_BUILD_PREFIX}*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def ensure_sqlite_store(db: Path, artifact_root: str) -> None:
    """Make sure ``db`` is a complete MLflow store of this MLflow's schema.

    Safe to call from many processes at once: the first builds the store while the
    others wait on ``<db>.lock``; once it exists, calls only read its schema revision
    (no lock, so a read-only store folder can be served).

    Raises
    ------
    RegistryError
        ``db`` holds runs or models but its schema is not the one this MLflow expects, or
        it is not a SQLite database.
    """
    db = Path(db).resolve()
    if db.exists():  # the usual case, no lock needed: a complete store is never changed here
        with contextlib.suppress(RegistryError):  # e.g. set aside meanwhile: decide under the lock
            if _inspect(db)[0] == _head_revision():
                return
    db.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(db.with_name(db.name + ".lock")), timeout=_LOCK_TIMEOUT_S):
        _remove_stale_builds(db)
        if db.exists():
            revision, rows = _inspect(db)
            head = _head_revision()
            if revision == head:
                return
            if rows:
                raise RegistryError(
                    f"registry store {db} has schema revision {revision}, this MLflow expects "
                    f"{head}: back the file up, then run `mlflow db upgrade sqlite:///{db}`")
            aside = db.with_name(f"{db.name}.incomplete-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}")
            os.replace(db, aside)
            journal = db.with_name(db.name + "-journal")
            if journal.exists():
                os.replace(journal, aside.with_name(aside.name + "-journal"))
            log.warning("registry store %s was left half-built (schema revision %s, no runs): "
                        "set aside as %s and built again", db, revision, aside.name)
        _build(db, artifact_root)
