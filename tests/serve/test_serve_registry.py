"""Serving the registry's champion: the server follows the alias without failing requests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tradewind.artifacts import ENV_TRACKING_URI, Registry
from tradewind.serve import ModelHolder, ServerThread, ServeSettings

GATE = {"passed": True, "checks": [{"name": "mcc_ci_low", "value": 0.03, "threshold": 0.0,
                                     "passed": True}]}


def _register(reg: Registry, bundle: Path) -> str:
    record = reg.log_run(experiment="serve-test", params={"model": "lstm"}, epoch_metrics=[],
                         oos_metrics={"mcc": 0.05}, report_dir=None, bundle_dir=bundle, gate=GATE)
    return record.version


def _settings(root: Path, name: str, tmp_path: Path, poll: float) -> ServeSettings:
    return ServeSettings(model="champion", port=0, poll_seconds=poll, cache_dir=tmp_path / "cache",
                         registry={"root": str(root), "model_name": name})


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    return Registry(root=tmp_path / "runs", model_name="tw-serve")


def test_alias_move_swaps_the_bundle_without_failed_requests(
    registry: Registry, make_bundle, tmp_path: Path
) -> None:
    v1 = _register(registry, make_bundle(tmp_path / "a", seed=1, name="first"))
    v2 = _register(registry, make_bundle(tmp_path / "b", seed=2, name="second"))
    registry.promote(v1)
    settings = _settings(registry.root, registry.model_name, tmp_path, poll=0.2)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        before = client.get("/v1/models").json()
        assert (before["version"], before["name"], before["data_fingerprint"]) == (
            v1, "first", "first-1-fingerprint")
        lookback, width = before["lookback"], len(before["feature_names"])
        window = {"features": [[0.01 * (i + j) for j in range(width)] for i in range(lookback)]}
        statuses: list[int] = []
        versions: set[str] = set()
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as own:
                while not stop.is_set():
                    reply = own.post("/v1/predict", json=window)
                    statuses.append(reply.status_code)
                    if reply.status_code == 200:
                        versions.add(reply.json()["model_version"])

        worker = threading.Thread(target=hammer)
        worker.start()
        try:
            deadline = time.monotonic() + 20
            while v1 not in versions:  # the old champion answered at least once
                assert time.monotonic() < deadline and worker.is_alive()
                time.sleep(0.02)
            registry.promote(v2)
            deadline = time.monotonic() + 20
            while client.get("/v1/models").json()["version"] != v2:
                assert time.monotonic() < deadline, "the server never picked up the new champion"
                time.sleep(0.05)
            time.sleep(0.3)
        finally:
            stop.set()
            worker.join()
        after = client.get("/v1/models").json()
        assert (after["name"], after["data_fingerprint"]) == ("second", "second-2-fingerprint")
        assert statuses and set(statuses) == {200}
        assert versions == {v1, v2}
        text = client.get("/metrics").text
        assert 'tradewind_model_reloads_total{result="ok"} 1.0' in text
    downloads = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(downloads) == 1 and downloads[0].startswith(f"tw-serve-v{v2}-")  # old one removed


def test_a_broken_new_champion_keeps_the_old_bundle(registry: Registry, make_bundle,
                                                    tmp_path: Path) -> None:
    good = _register(registry, make_bundle(tmp_path / "good", seed=3, name="good"))
    broken_dir = make_bundle(tmp_path / "broken", seed=4, name="broken")
    (broken_dir / "weights.safetensors").write_bytes(b"truncated")
    broken = _register(registry, broken_dir)
    registry.promote(good)
    holder = ModelHolder(_settings(registry.root, registry.model_name, tmp_path, poll=0))
    try:
        assert holder.current().version == good
        assert holder.check_once() is False  # nothing moved
        registry.promote(broken)
        assert holder.check_once() is False
        assert holder.current().version == good
        assert holder.last_error is not None and "checksum mismatch" in holder.last_error
    finally:
        holder.stop()
