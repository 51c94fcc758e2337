"""Joining a Ray cluster: a client server that failed to start behind a reachable address
is tried again; every other connection failure is reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tradewind import cluster
from tradewind.exceptions import ConfigError


class _FakeRay:
    """ray.init failing with ``errors`` in turn, then succeeding."""

    def __init__(self, errors: list[str]) -> None:
        self.errors, self.inits, self.shutdowns = list(errors), 0, 0

    def init(self, address: str, **_: Any) -> None:
        self.inits += 1
        if self.errors:
            raise ConnectionError(self.errors.pop(0))

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster.time, "sleep", lambda _: None)


SERVER_SIDE = ("Initialization failure from server:\nRuntimeError: Starting Ray client server "
               "failed. See ray_client_server_23000.err for detailed logs.")


def test_a_client_server_that_failed_to_start_is_tried_again() -> None:
    ray = _FakeRay([SERVER_SIDE, SERVER_SIDE])
    cluster._connect(ray, "ray://127.0.0.1:10001", {})
    assert (ray.inits, ray.shutdowns) == (3, 2)


def test_other_failures_and_the_last_attempt_are_reported(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    unreachable = _FakeRay(["ray client connection timeout"])
    with pytest.raises(ConnectionError, match="timeout"):
        cluster._connect(unreachable, "ray://127.0.0.1:10001", {})
    assert unreachable.inits == 1
    stuck = _FakeRay([SERVER_SIDE] * 3)
    with pytest.raises(ConnectionError, match="Initialization failure"):
        cluster._connect(stuck, "ray://127.0.0.1:10001", {})
    assert stuck.inits == 3

    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", _FakeRay([SERVER_SIDE] * 3).init)
    with pytest.raises(ConfigError, match="cannot reach the Ray cluster"), \
            cluster.ray_session("ray://127.0.0.1:10001", tmp_path / "scratch"):
        pass

