"""Chunked SMOTE: balances every chunk, and never mixes rows of different chunks."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE

from tradewind.exceptions import DataError
from tradewind.training import chunked_smote, smote_chunks


def _data(n: int, minority_share: float, offset: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < minority_share).astype(np.int64)
    X = rng.random((n, 3)) + offset
    return X.astype(np.float32), y


def test_chunked_smote_balances_every_chunk() -> None:
    X, y = _data(1000, 0.2, 0.0, 0)
    X_res, y_res = chunked_smote(X, y, chunk_size=250, k_neighbors=5, seed=0)
    counts = np.bincount(y_res)
    assert counts[0] == counts[1] == np.bincount(y)[0]
    assert X_res.dtype == np.float32 and X_res.shape == (len(y_res), 3)
    position = 0
    for start, _X_syn, y_syn in smote_chunks(X, y, chunk_size=250, k_neighbors=5, seed=0):
        chunk_y = y[start : start + 250]
        # layout: the chunk's rows unchanged, then its synthetic rows
        np.testing.assert_array_equal(X_res[position : position + len(chunk_y)],
                                      X[start : start + 250])
        position += len(chunk_y) + len(y_syn)
        assert np.bincount(np.concatenate([chunk_y, y_syn]), minlength=2).tolist() == [
            int((chunk_y == 0).sum())] * 2
    assert position == len(y_res)


def test_synthetic_rows_interpolate_inside_their_own_chunk() -> None:
    """Chunks live in disjoint boxes, so a row mixing two chunks would fall between them."""
    parts = [_data(200, 0.25, 10.0 * i, i) for i in range(3)]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    for start, X_syn, y_syn in smote_chunks(X, y, chunk_size=200, k_neighbors=3, seed=1):
        assert len(y_syn) > 0 and (y_syn == 1).all()
        minority = X[start : start + 200][y[start : start + 200] == 1]
        assert (X_syn >= minority.min(axis=0) - 1e-6).all()
        assert (X_syn <= minority.max(axis=0) + 1e-6).all()


def test_one_chunk_equals_plain_smote() -> None:
    X, y = _data(300, 0.3, 0.0, 2)
    X_res, y_res = chunked_smote(X, y, chunk_size=1000, k_neighbors=4, seed=7)
    X_ref, y_ref = SMOTE(k_neighbors=4, random_state=7).fit_resample(X, y)
    np.testing.assert_allclose(X_res, X_ref, rtol=1e-6)
    np.testing.assert_array_equal(y_res, y_ref)


def test_tiny_classes_and_bad_labels() -> None:
    X = np.arange(24, dtype=np.float64).reshape(12, 2)
    y = np.array([0] * 9 + [1, 1, 2])  # class 2 has one row: cannot be interpolated
    _X_res, y_res = chunked_smote(X, y, chunk_size=12, k_neighbors=5)
    assert np.bincount(y_res).tolist() == [9, 9, 1]
    with pytest.raises(DataError, match="unlabelled rows"):
        chunked_smote(X, np.array([0] * 11 + [-1]))
