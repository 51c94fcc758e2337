"""Ray for the commands that spread work: local cores, or an existing cluster.

``tradewind sweep`` runs its trials and ``tradewind run --address`` the symbols of a
``per_symbol`` universe through the same :func:`ray_session`, so both reach a cluster the
same way (``ray://host:10001``, ``host:6379`` or ``auto``) and both start the same local
Ray when there is none. Ray is the ``sweep`` extra; it is imported only in here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tradewind.exceptions import ConfigError

__all__ = ["RAY_ENV", "local_cpus", "ray_session"]

log = logging.getLogger(__name__)

# Set before Ray is imported; a user's own setting wins.
RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",  # no usage reports, no network
    "RAY_CHDIR_TO_TRIAL_DIR": "0",  # trials see the driver's working directory
    "RAY_AIR_NEW_OUTPUT": "0",
}


def local_cpus() -> int:
    """The cores this process may run on (its affinity), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# A Ray Client server that was reached but could not start the per-client server behind it
# (a cluster still starting, or busy) says so; a later attempt usually succeeds.
_SERVER_SIDE_FAILURE = "Initialization failure from server"
_ATTEMPTS = 3
_PAUSE_S = 5.0


def _connect(ray: Any, address: str, common: dict[str, Any]) -> None:
    """``ray.init(address)``, tried again (up to three times, 5 s apart) only when the
    cluster answered that its client server failed to start; any other failure at once."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            ray.init(address=address, **common)
            return
        except ConnectionError as err:
            if _SERVER_SIDE_FAILURE not in str(err) or attempt == _ATTEMPTS:
                raise
            log.warning("the Ray cluster at %s could not start a client server (attempt %d "
                        "of %d); trying again in %.0f s", address, attempt, _ATTEMPTS, _PAUSE_S)
            ray.shutdown()  # whatever the failed attempt set up
            time.sleep(_PAUSE_S)


@contextlib.contextmanager
def ray_session(address: str | None, scratch: Path) -> Iterator[Path]:
    """Connect to Ray; yield ``scratch``, a fresh folder for Ray's and the caller's files.

    An already initialised Ray (a notebook, a test fixture) is used as it is and left
    running. Otherwise ``address`` (``ray://host:10001``, ``host:6379`` or ``auto``)
    joins an existing cluster, and no address starts a local one on this machine's cores
    without the dashboard, its temp folder in ``scratch``. ``scratch`` must be short (Ray's
    unix sockets live in it; their paths must stay under 107 bytes); it is removed
    afterwards, and at the start if a killed run left it behind.
    """
    for key, value in RAY_ENV.items():
        os.environ.setdefault(key, value)
    import ray

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    started = False
    try:
        if not ray.is_initialized():
            common = {"logging_level": logging.WARNING, "log_to_driver": False}
            if address:
                try:
                    _connect(ray, address, common)
                except ConnectionError as err:
                    raise ConfigError(
                        f"cannot reach the Ray cluster at {address}: {err}. Clusters of Ray "
                        ">= 2.59 may require token authentication: set RAY_AUTH_MODE=token "
                        "(the token comes from RAY_AUTH_TOKEN or ~/.ray/auth_token)"
                    ) from err
            else:
                ray.init(num_cpus=local_cpus(), include_dashboard=False,
                         _temp_dir=str(scratch / "ray"), **common)
            started = True
        yield scratch
    finally:
        if started:
            ray.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)
