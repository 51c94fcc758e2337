"""Fixtures shared by every test area."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")


# Ray starts a cluster per test process: the modules that start one run in the same xdist
# worker (one group), so two clusters never compete for the two cores and the object store.
_RAY_MODULES = ("tests/sweep/", "tests/pipeline/test_pipeline_universe_ray.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Tests go to the workers a module at a time (its module fixtures are built once), and
    every module that starts Ray goes to one worker."""
    from xdist.scheduler import LoadScopeScheduling

    class _ModulesAndRay(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(_RAY_MODULES):
                return "ray"
            return super()._split_scope(nodeid)

    return _ModulesAndRay(config, log)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real candles beside the checkout (../shared/data); skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present: real-candle test skipped")
    return SHARED_DATA
