"""Render report.html in headless Chromium (when installed): the screenshot shows a laid-out
page, every chart image loads with a non-zero natural size, and the page logs no error.

``make test`` installs Chromium from Debian where it can (root and apt-get), so these run
there; elsewhere they skip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tradewind.report import ExperimentReport, write_report

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 4000


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium not installed (make test installs it where apt-get can, or "
    "apt-get install -y chromium): headless rendering of report.html skipped",
)

# Injected first into <head> of a copy of the page: records script errors, console.error
# calls and elements that failed to load, then, once the page has loaded, every image's
# state, as JSON in a <pre id="tw-probe"> that --dump-dom prints.
PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t !== window && t.tagName ? "failed to load <" + t.tagName.toLowerCase()
      + "> " + (t.alt || t.src || "").slice(0, 80) : "script error: " + e.message);
  }, true);
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  window.addEventListener("load", function () {
    var images = Array.prototype.map.call(document.images, function (img) {
      return {alt: img.alt, complete: img.complete, width: img.naturalWidth,
              height: img.naturalHeight};
    });
    var out = document.createElement("pre");
    out.id = "tw-probe";
    out.textContent = JSON.stringify({errors: errors, images: images});
    document.body.appendChild(out);
  });
})();
</script>"""


def _chromium(tmp_path: Path, *args: str) -> list[str]:
    return [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", *args]


@needs_chromium
def test_report_renders_in_headless_chromium(refused_dict: dict[str, Any], tmp_path: Path) -> None:
    _json_path, html_path = write_report(ExperimentReport.model_validate(refused_dict), tmp_path / "r")
    shot = tmp_path / "report.png"
    cmd = _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
                    html_path.resolve().as_uri())
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


@needs_chromium
def test_report_charts_load_without_console_errors(refused_dict: dict[str, Any],
                                                    tmp_path: Path) -> None:
    _json_path, html_path = write_report(ExperimentReport.model_validate(refused_dict), tmp_path / "r")
    html = html_path.read_text(encoding="utf-8")
    n_images = html.count("<img ")
    assert n_images >= 5 and html.count("<head>") == 1
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    cmd = _chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                    "--dump-dom", probed.resolve().as_uri())
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.find('<pre id="tw-probe">')
    assert start >= 0, f"the page never finished loading: {done.stderr[-2000:]}"
    body = done.stdout[start + len('<pre id="tw-probe">'):done.stdout.index("</pre>", start)]
    probe = json.loads(body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert probe["errors"] == []
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert len(probe["images"]) == n_images
    for image in probe["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert image["alt"], "every chart has alt text"
