"""The universe scale bench runs end to end on a tiny universe (no timings are judged here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "universe_scale.py"


def test_the_universe_scale_bench_runs_quick() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "3 symbols x 3,000 bars against 1 symbol x 3,000 bars" in out
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 10 and cells[0] in {"1 symbol", "3 symbols"}:
            rows[cells[0]] = cells
    assert set(rows) == {"1 symbol", "3 symbols"}
    single, pooled = (int(rows[k][1].replace(",", "")) for k in ("1 symbol", "3 symbols"))
    assert pooled == 3 * single  # the same market length per symbol, stacked
    for cells in rows.values():
        windows = int(cells[2].replace(",", ""))
        stacked, materialised = float(cells[3]), float(cells[4].replace(",", ""))
        assert windows <= int(cells[1].replace(",", ""))
        assert materialised > 10 * stacked  # lookback 16 x the matrix, had it been built
    assert re.search(r"ratio pooled / single: gather \d+\.\d\dx, fit \d+\.\d\dx", out)
