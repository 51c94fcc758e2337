"""serve and live with --require-signed: a genuine signed bundle is served, an altered one
(checksums recomputed) is refused with SignatureError's exit code."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tradewind.artifacts.bundle import CHECKSUMS, MANIFEST, WEIGHTS
from tradewind.exceptions import SignatureError
from tradewind.serve import ServerThread, ServeSettings

TRADEWIND = Path(sys.executable).parent / "tradewind"


def _tradewind(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1"})


def test_signed_bundles_through_the_installed_script(make_bundle, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "bundle", seed=5, name="signed")
    made = _tradewind("sign", "--new-key", str(tmp_path / "keys" / "tw"))
    assert made.returncode == 0, made.stderr
    private, public = tmp_path / "keys" / "tw", tmp_path / "keys" / "tw.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    signed = _tradewind("sign", str(bundle), "--key", str(private))
    assert signed.returncode == 0, signed.stderr

    settings = ServeSettings(model=str(bundle), port=0, poll_seconds=0, require_signed=public)
    with ServerThread(settings) as server:
        models = httpx.get(server.url + "/v1/models", timeout=30)
    assert models.status_code == 200 and models.json()["name"] == "signed"

    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["name"] = "altered"
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    sums = [f"{hashlib.sha256((bundle / n).read_bytes()).hexdigest()}  {n}"
            for n in (WEIGHTS, MANIFEST)]
    (bundle / CHECKSUMS).write_text("\n".join(sums) + "\n")

    served = _tradewind("serve", "--model", str(bundle), "--port", "0",
                        "--require-signed", str(public))
    assert served.returncode == SignatureError.exit_code, served.stderr
    assert "altered after it was signed" in served.stderr and "Traceback" not in served.stderr
    live = _tradewind("live", "--symbol", "X", "--timeframe", "1h", "--model", str(bundle),
                      "--replay", "synthetic:planted?bars=400&seed=2&timeframe=1h",
                      "--log", str(tmp_path / "log.sqlite"), "--require-signed", str(public))
    assert live.returncode == SignatureError.exit_code, live.stderr
    assert not (tmp_path / "log.sqlite").exists()
