"""Render report.html in headless Chromium (when installed) and check the screenshot."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tradewind.report import ExperimentReport, write_report

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 4000


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed "
                    "(apt-get install -y chromium): headless screenshot of report.html skipped")
def test_report_renders_in_headless_chromium(refused_dict: dict[str, Any], tmp_path: Path) -> None:
    _json_path, html_path = write_report(ExperimentReport.model_validate(refused_dict), tmp_path / "r")
    shot = tmp_path / "report.png"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
           f"--window-size={WIDTH},{HEIGHT}", html_path.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists(), f"chromium wrote no screenshot (rc {done.returncode}): {done.stderr[-2000:]}"
    assert shot.stat().st_size > 100_000
    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    # The refused banner's red fills part of the top of the page: the page really was laid out.
    top = pixels[:400]
    red = (top[..., 0] > 170) & (top[..., 1] < 80) & (top[..., 2] < 80)
    assert red.sum() > 10_000
    # Charts and tables all down the page: no 600-px band is a flat colour.
    for start in range(0, HEIGHT, 600):
        band = pixels[start:start + 600]
        assert band.std() > 10, f"rows {start}-{start + 600} of the screenshot are blank"
