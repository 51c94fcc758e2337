"""``tradewind monitor`` through the installed script: table, files, JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from monitor_helpers import Decayed

SCRIPT = Path(sys.executable).parent / "tradewind"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run([str(SCRIPT), "monitor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_monitor_cli_writes_files_and_exits_by_the_contract(decayed: Decayed,
                                                            tmp_path: Path) -> None:
    log, model = str(decayed.log), str(decayed.bundle_path)
    plain = _run(log, "--model", model, "--out", str(tmp_path / "m"), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "Realised" in plain.stdout and "Breaches" in plain.stdout and "mcc" in plain.stdout
    written = json.loads((tmp_path / "m" / "monitor.json").read_text())
    assert written["symbol"] == "SYN/USD" and written["breaches"]
    assert (tmp_path / "m" / "monitor.html").is_file()

    strict = _run(log, "--model", model, "--strict", cwd=tmp_path)
    assert strict.returncode == 11, strict.stderr
    assert "breached" in strict.stderr and "Traceback" not in strict.stderr

    calm = _run(log, "--model", model, "--strict", "--as-of", decayed.mid.isoformat(),
                "--set", "psi_warn=50", "--set", "psi_breach=50", "--format", "json",
                cwd=tmp_path)
    assert calm.returncode == 0, calm.stderr
    doc = json.loads(calm.stdout)
    assert doc["as_of"] == decayed.mid.isoformat()
    assert not [b for b in doc["breaches"] if b["level"] == "breach"]

    bad = _run(log, "--model", model, "--set", "psi_breech=1", cwd=tmp_path)
    assert bad.returncode == 2 and "psi_breech" in bad.stderr

    # without --model the registry is searched for the digest the log records
    unknown = _run(log, "--registry-root", str(tmp_path / "runs"), cwd=tmp_path)
    assert unknown.returncode == 8, unknown.stderr
    assert "has digest" in unknown.stderr and "--model" in unknown.stderr
