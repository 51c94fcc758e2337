"""One implementation of atomic writes and file checksums, used by every writer."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradewind.data.atomic import (
    file_sha256,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from tradewind.dataset import Normalizer


def _readable(path: Path) -> bool:
    return os.stat(path).st_mode & 0o644 == 0o644


def test_every_writer_leaves_a_readable_file_and_no_temp(tmp_path: Path) -> None:
    paths = [
        write_text_atomic(tmp_path / "a.txt", "x\n"),
        write_json_atomic(tmp_path / "b.json", {"k": [1, 2.5]}),
        write_parquet_atomic(pd.DataFrame({"v": [1.0]}), tmp_path / "c.parquet"),
        Normalizer("robust").fit(np.arange(20.0).reshape(10, 2), ["a", "b"])
        .save_json(tmp_path / "d.json"),
    ]
    assert all(_readable(p) for p in paths), [oct(os.stat(p).st_mode) for p in paths]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.json", "c.parquet", "d.json"]
    assert json.loads((tmp_path / "b.json").read_text()) == {"k": [1, 2.5]}
    assert (tmp_path / "b.json").read_text().endswith("}\n")


def test_json_refuses_nan_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = write_json_atomic(tmp_path / "doc.json", {"ok": 1})
    with pytest.raises(ValueError, match="JSON"):
        write_json_atomic(path, {"bad": float("nan")})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)  # more than one 1 MiB chunk
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
