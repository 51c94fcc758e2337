"""Windows gather by end row over one matrix; memory stays near the matrix, not N×lookback×F."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from tradewind.dataset import Windows
from tradewind.exceptions import ConfigError


@pytest.fixture
def matrix() -> np.ndarray:
    return np.arange(40, dtype=np.float32).reshape(10, 4)


def test_gather_equals_slicing(matrix):
    windows = Windows(matrix, lookback=3)
    ends = np.array([2, 9, 5, 2])
    batch = windows.gather(ends)
    assert batch.shape == (4, 3, 4) and batch.dtype == torch.float32
    for b, e in enumerate(ends):
        np.testing.assert_array_equal(batch[b].numpy(), matrix[e - 2 : e + 1])
    assert torch.equal(windows.gather(torch.tensor([2, 9, 5, 2])), batch)


def test_gather_into_a_reused_buffer(matrix):
    windows = Windows(matrix, lookback=3)
    buffer = torch.empty(5 * 3 * 4)
    first = windows.gather(np.array([2, 3]), out=buffer)
    assert first.data_ptr() == buffer.data_ptr()
    assert torch.equal(first, windows.gather(np.array([2, 3])))
    second = windows.gather(np.array([9]), out=buffer)
    np.testing.assert_array_equal(second[0].numpy(), matrix[7:10])
    with pytest.raises(ConfigError, match=">= 72 elements"):
        windows.gather(np.arange(2, 8), out=buffer)
    with pytest.raises(ConfigError, match="float64"):
        windows.gather(np.array([2]), out=torch.empty(12, dtype=torch.float64))


def test_float32_array_is_shared_not_copied(matrix):
    windows = Windows(matrix, lookback=2)
    assert windows.matrix.data_ptr() == matrix.ctypes.data
    assert Windows(matrix.astype(np.float64), lookback=2).matrix.dtype == torch.float32


def test_valid_ends_view_and_sizes(matrix):
    windows = Windows(matrix, lookback=4)
    assert windows.valid_ends().tolist() == list(range(3, 10))
    assert windows.n_windows == 7 and windows.n_rows == 10 and windows.n_features == 4
    view = windows.view()
    assert view.shape == (7, 4, 4)
    assert torch.equal(view[2], windows.gather(np.array([5]))[0])
    assert "lookback=4" in repr(windows)


def test_batches_cover_the_ends_in_order(matrix):
    windows = Windows(matrix, lookback=3)
    seen = []
    for ends, batch in windows.batches(windows.valid_ends(), batch_size=3):
        assert batch.shape == (len(ends), 3, 4)
        seen.extend(ends.tolist())
    assert seen == list(range(2, 10))


@pytest.mark.parametrize(
    ("ends", "match"),
    [
        (np.array([1]), r"must lie in \[2, 9\]"),
        (np.array([10]), r"must lie in \[2, 9\]"),
        (np.array([2.0, 3.0]), "integers"),
        (np.array([[2, 3]]), "1-D"),
    ],
)
def test_bad_end_rows_are_refused(matrix, ends, match):
    with pytest.raises(ConfigError, match=match):
        Windows(matrix, lookback=3).gather(ends)


def test_bad_construction_is_refused(matrix):
    with pytest.raises(ConfigError, match="lookback"):
        Windows(matrix, lookback=0)
    with pytest.raises(ConfigError, match=r"\[T, F\]"):
        Windows(matrix.reshape(-1), lookback=2)


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource

    import numpy as np
    import torch

    from tradewind.dataset import Windows

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB

    ROWS, FEATURES, LOOKBACK, BATCH = 1_000_000, 40, 60, 8192
    baseline = peak_mb()  # interpreter + numpy + torch + tradewind, before any data
    matrix = np.random.default_rng(0).random((ROWS, FEATURES), dtype=np.float32)
    windows = Windows(matrix, LOOKBACK)
    assert windows.matrix.data_ptr() == matrix.ctypes.data, "the matrix was copied"
    ends = torch.from_numpy(windows.valid_ends())
    buffer = torch.empty(BATCH * LOOKBACK * FEATURES)
    total = torch.zeros(LOOKBACK, FEATURES, dtype=torch.float64)
    for start in range(0, len(ends), BATCH):
        batch = windows.gather(ends[start : start + BATCH], out=buffer)
        total += batch.sum(dim=0)
    peak = peak_mb()
    n_windows = len(ends)
    window_mean = (total.sum(dim=0) / (n_windows * LOOKBACK)).numpy()

    # Check the mean against the closed form (after the peak was read): row r lies in
    # the windows ending at r .. r+LOOKBACK-1 that exist.
    rows = np.arange(ROWS)
    count = np.minimum(rows, ROWS - LOOKBACK) - np.maximum(rows - LOOKBACK + 1, 0) + 1
    expected = (count.astype(np.float64) @ matrix.astype(np.float64)) / (n_windows * LOOKBACK)
    assert np.allclose(window_mean, expected, rtol=1e-4), (window_mean[:3], expected[:3])
    print(f"{baseline:.1f} {peak:.1f} {n_windows} {matrix.nbytes / 2**20:.1f}")
    """
)


def test_iterating_all_windows_of_a_million_rows_keeps_memory_near_the_matrix():
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    baseline, peak, n_windows, matrix_mb = result.stdout.split()[-4:]
    baseline_mb, peak_mb, matrix_mb_f = float(baseline), float(peak), float(matrix_mb)
    materialised_mb = int(n_windows) * 60 * 40 * 4 / 2**20
    assert int(n_windows) == 1_000_000 - 59
    assert peak_mb - baseline_mb < 3 * matrix_mb_f, (
        f"peak RSS {peak_mb:.0f} MB vs baseline {baseline_mb:.0f} MB: grew by "
        f"{peak_mb - baseline_mb:.0f} MB for a {matrix_mb_f:.0f} MB matrix (limit "
        f"{3 * matrix_mb_f:.0f} MB; a materialised [N, 60, 40] array is {materialised_mb:.0f} MB)"
    )
    print(f"baseline {baseline_mb:.0f} MB, peak {peak_mb:.0f} MB, matrix {matrix_mb_f:.0f} MB, "
          f"materialised would be {materialised_mb:.0f} MB")
