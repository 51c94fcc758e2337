"""A sweep on an existing Ray cluster through Ray Client (``--address ray://``).

The test starts its own one-node cluster with ``ray start --head --block`` on 127.0.0.1,
with a token of its own (Ray >= 2.59 requires token authentication), and stops it after.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sweep_helpers import write_sweep

from tradewind.exceptions import ConfigError
from tradewind.sweep.ledger import Ledger

RAY = Path(sys.executable).parent / "ray"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, head: subprocess.Popen, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if head.poll() is not None:
            pytest.fail(f"ray start exited with {head.returncode}: {head.stdout.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail(f"the Ray Client server did not listen on 127.0.0.1:{port} in {seconds:.0f} s")


@pytest.fixture
def ray_cluster() -> Iterator[tuple[str, dict[str, str]]]:
    """A Ray head on 127.0.0.1 with a Ray Client server; yields its ``ray://`` address and
    the environment a client needs (the token)."""
    token = secrets.token_hex(16)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": token}
    gcs, client = _free_port(), _free_port()
    temp = tempfile.mkdtemp(prefix="twray-")  # short: Ray's socket paths must stay < 108 bytes
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
         "--port", str(gcs), "--ray-client-server-port", str(client), "--num-cpus", "2",
         "--include-dashboard", "false", "--temp-dir", temp, "--disable-usage-stats"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        _wait_for_port(client, head)
        yield f"ray://127.0.0.1:{client}", {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    finally:
        # The whole session: the head's GCS, raylet and workers (a graceful stop takes ~30 s)
        os.killpg(head.pid, signal.SIGKILL)
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)


def _sweep_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``tradewind sweep`` in a child process: Ray Client state (and the cached token)
    never leaks into this test process, whose other modules start a local Ray."""
    return subprocess.run([str(Path(sys.executable).parent / "tradewind"), "sweep", *args],
                          env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **env},
                          capture_output=True, text=True, timeout=600)


def test_a_sweep_runs_on_a_cluster_through_ray_client(ray_cluster: tuple[str, dict[str, str]],
                                                        tmp_path: Path) -> None:
    address, auth = ray_cluster
    out = tmp_path / "sweep"
    path = write_sweep(tmp_path / "cfg", space={"lookback": [4, 6]},
                       registry_root=tmp_path / "runs")
    done = _sweep_cli(str(path), "--out", str(out), "--address", address, env=auth)
    assert done.returncode == 0, done.stderr
    # Tune ran its loop (and a copy of the driver) on the head node; the counts printed
    # here come from the sweep directory it wrote.
    assert "0 finished, 2 to run" in done.stderr
    assert "stopped before every trial ran" not in done.stderr
    board = json.loads((out / "leaderboard.json").read_text())
    assert {r["key"] for r in board["rows"]} == set(Ledger(out).records())
    assert len(board["rows"]) == 2 and all((out / r["report"]).is_file() for r in board["rows"])

    again = _sweep_cli(str(path), "--out", str(out), "--address", address, env=auth)
    assert again.returncode == 0, again.stderr
    assert "2 finished, 0 to run" in again.stderr


def test_an_unreachable_ray_client_address_says_what_to_check(tmp_path: Path) -> None:
    path = write_sweep(tmp_path / "cfg", space={"lookback": [4]})
    fast = {"RAY_CLIENT_INITIAL_CONNECTION_TIMEOUT_S": "1",  # not 5 + 10 + 15 s
            "RAY_CLIENT_MAX_CONNECTION_TIMEOUT_S": "1"}
    done = _sweep_cli(str(path), "--out", str(tmp_path / "out"),
                      "--address", f"ray://127.0.0.1:{_free_port()}", env=fast)
    assert done.returncode == ConfigError.exit_code
    assert "cannot reach the Ray cluster" in done.stderr and "RAY_AUTH_MODE=token" in done.stderr
