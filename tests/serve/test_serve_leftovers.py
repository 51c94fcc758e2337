"""A server on a registry reference leaves no bundle copy in the system temp folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tradewind.artifacts import ENV_TRACKING_URI, Registry
from tradewind.serve import ModelHolder, ServeSettings

GATE = {"passed": True, "checks": [{"name": "mcc_ci_low", "value": 0.03, "threshold": 0.0,
                                     "passed": True}]}


def test_registry_downloads_are_removed_once_loaded(
    tmp_path: Path, make_bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    registry = Registry(root=tmp_path / "runs", model_name="tw-leftovers")
    versions = [registry.log_run(experiment="leftovers", params={}, epoch_metrics=[],
                                 oos_metrics={}, report_dir=None, gate=GATE,
                                 bundle_dir=make_bundle(tmp_path / name, seed=i, name=name)).version
                for i, name in enumerate(("first", "second"))]
    registry.promote(versions[0])
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    holder = ModelHolder(ServeSettings(model="champion", port=0, poll_seconds=0,
                                       registry={"root": str(registry.root),
                                                 "model_name": registry.model_name}))
    try:
        assert holder.current().bundle.manifest.name == "first"
        assert list(temp.iterdir()) == []
        registry.promote(versions[1])
        assert holder.check_once() is True
        assert holder.current().bundle.manifest.name == "second"
        assert holder.current().download_dir is None and list(temp.iterdir()) == []
    finally:
        holder.stop()
