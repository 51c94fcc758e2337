"""The current champion (registry alias ``champion``), loaded and checked against the holdout.

A champion that trained on any bar of the holdout would be judged partly in-sample, so it is
refused before anything is trained: its manifest records the last bar of its training data
(``data.last``), which must open before the holdout's first bar.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.artifacts.registry import Registry
from tradewind.artifacts.registry_records import CHAMPION
from tradewind.exceptions import BundleError, LeakageError
from tradewind.retrain.split import RetrainSplit

__all__ = ["Champion", "check_champion_before_holdout", "load_champion", "training_end"]


@dataclass(frozen=True)
class Champion:
    """The registry version the ``champion`` alias points to, and its loaded bundle."""

    version: str
    bundle: Bundle


def training_end(bundle: Bundle) -> pd.Timestamp:
    """Open time of the last bar the bundle trained on (its manifest's ``data.last``)."""
    last = bundle.manifest.data.get("last")
    if not last:
        raise BundleError(
            f"{bundle.path}: the manifest records no training span (data.last), so it cannot be "
            "shown that the holdout is out of its sample; retrain it with this tradewind"
        )
    stamp = pd.Timestamp(last)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def check_champion_before_holdout(champion: Champion, split: RetrainSplit) -> None:
    """Refuse a champion whose training data reaches into the holdout (names both times)."""
    end = training_end(champion.bundle)
    if end >= split.holdout_start:
        raise LeakageError(
            f"retrain: champion version {champion.version} trained on bars up to {end}, but the "
            f"holdout starts at {split.holdout_start}: it would be scored on rows it was trained "
            f"on. Fix: a shorter retrain.holdout (at most the bars after {end}), or wait for "
            "newer data"
        )


def load_champion(registry: Registry) -> Champion | None:
    """The champion's bundle (downloaded to a temporary folder, removed once loaded), or None."""
    version = registry.alias_version(CHAMPION)
    if version is None:
        return None
    with tempfile.TemporaryDirectory(prefix="tradewind-champion-") as folder:
        path = registry.download_bundle(version, Path(folder) / "bundle")
        bundle = load_bundle(path)
    return Champion(version=version, bundle=bundle)
