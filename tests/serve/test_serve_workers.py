"""``tradewind serve --workers 2`` through the installed script, on 127.0.0.1: both
workers answer, and /metrics adds up the counts of both (prometheus multiprocess mode)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

TRADEWIND = Path(sys.executable).parent / "tradewind"
STARTUP_S = 300  # two fresh processes import torch and load the bundle on a shared machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz_count(text: str) -> float:
    found = re.search(r'^tradewind_requests_total\{method="GET",route="/healthz",status="200"\} '
                      r"(\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_two_workers_share_the_load_and_metrics_add_both_up(bundle_dir: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    port = url.rsplit(":", 1)[1]
    server = subprocess.Popen(
        [str(TRADEWIND), "serve", "--model", str(bundle_dir), "--port", port, "--workers", "2",
         "--poll-seconds", "0", "--set", "log_level=warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "OMP_NUM_THREADS": "1"})
    answered: Counter[int] = Counter()
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            assert server.poll() is None, server.communicate()[0]
            assert time.monotonic() < deadline, "the workers did not start"
            try:
                reply = httpx.get(f"{url}/healthz", timeout=5)
                answered[reply.json()["worker_pid"]] += 1
                break
            except httpx.TransportError:
                time.sleep(0.5)
        for _ in range(1000):  # a new connection each: the OS hands them to either worker
            reply = httpx.get(f"{url}/healthz", timeout=30, headers={"Connection": "close"})
            assert reply.status_code == 200
            answered[reply.json()["worker_pid"]] += 1
            if len(answered) == 2 and sum(answered.values()) >= 40:
                break
        assert len(answered) == 2, f"only one worker answered: {answered}"
        models = httpx.get(f"{url}/v1/models", timeout=30).json()
        window = [[0.01 * (i + j) for j in range(len(models["feature_names"]))]
                  for i in range(models["lookback"])]
        for _ in range(6):
            predict = httpx.post(f"{url}/v1/predict", json={"features": window}, timeout=30,
                                 headers={"Connection": "close"})
            assert predict.status_code == 200, predict.text
        total = sum(answered.values())
        for _ in range(50):  # a worker counts a request just after sending its reply
            text = httpx.get(f"{url}/metrics", timeout=30).text
            if _healthz_count(text) == total:
                break
            time.sleep(0.1)
        assert _healthz_count(text) == total  # more than either worker answered alone
        assert total > max(answered.values())
        pids = set(map(int, re.findall(r'^tradewind_worker_up\{pid="(\d+)"\} 1\.0$', text,
                                       re.MULTILINE)))
        assert pids == set(answered)
        assert re.search(r'^tradewind_requests_total\{method="POST",route="/v1/predict",'
                         r'status="200"\} 6\.0$', text, re.MULTILINE), text
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output = server.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            output = server.communicate()[0]
    folder = re.search(r"added up from (\S+)", output)
    assert folder is not None, output
    assert not Path(folder.group(1)).exists()  # serve removed its metrics folder
