"""Atomic file writes (Parquet, bytes, text, JSON) and file checksums.

A reader sees the old file or the new one, never half of one: the content is written to
a temporary file in the target's folder, flushed and fsynced, then moved over the target
with ``os.replace`` (atomic on POSIX and Windows within one file system) and the folder
is fsynced so the rename survives a crash. On any error the temporary file is removed
and the old file is intact. Files are left readable by others (0644), not mkstemp's 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "file_sha256",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
]


def _fsync_dir(folder: Path) -> None:
    """Persist a rename inside ``folder`` (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_parquet_atomic(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    index: bool = True,
    metadata: Mapping[str, object] | None = None,
) -> Path:
    """Write ``frame`` to ``path`` as zstd Parquet, atomically; return the path.

    Parameters
    ----------
    frame:
        Any DataFrame; with ``index=True`` its index is kept (``pd.read_parquet``
        restores it).
    metadata:
        JSON-serialisable values stored under the Parquet schema metadata key
        ``tradewind``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=index)
    if metadata is not None:
        schema_meta = dict(table.schema.metadata or {})
        schema_meta[b"tradewind"] = json.dumps(dict(metadata)).encode()
        table = table.replace_schema_metadata(schema_meta)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file beside it, fsync, ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be read
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """UTF-8 text with ``\n`` line ends, written atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, document: Any, *, indent: int = 2) -> Path:
    """``document`` as indented JSON ending in a newline, written atomically.

    NaN and infinities are refused (ValueError): JSON has no such numbers, and a reader
    in another language would choke on them.
    """
    return write_text_atomic(path, json.dumps(document, indent=indent, allow_nan=False) + "\n")


def file_sha256(path: str | Path) -> str:
    """sha256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
