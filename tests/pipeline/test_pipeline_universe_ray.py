"""A per_symbol universe whose symbols train as Ray tasks (``--address``) is the same run.

Starting a local Ray and its workers takes tens of seconds on two cores: the default suite
starts one for the module and compares the folds themselves; the whole run, report and
folder included, is compared under ``-m slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from tradewind.cluster import ray_session
from tradewind.config import Experiment, validate_section
from tradewind.dataset import series_split, shared_walk_forward
from tradewind.exceptions import ConfigError
from tradewind.pipeline.experiment import run_experiment
from tradewind.pipeline.folds import run_fold
from tradewind.pipeline.prepare import load_universe, prepare_universe
from tradewind.pipeline.symbol_tasks import _scratch, train_symbols_on_ray
from universe_helpers import planted, tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"


def _raw(**extra: Any) -> dict[str, Any]:
    return tiny_universe({"AAA/USD": planted(1), "BBB/USD": planted(2)}, name="universe-ray",
                         **extra)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for the module (``--address local`` uses a running Ray as it is); its
    scratch folder is short, as Ray's unix socket paths must stay under 107 bytes (a
    pytest temp folder under an xdist worker is longer)."""
    with ray_session(None, Path(tempfile.mkdtemp(prefix="tw-ray-"))):
        yield


@pytest.fixture(scope="module")
def universe() -> tuple[Experiment, Any, list[Any]]:
    """The per_symbol experiment, its prepared series and the calendar's folds."""
    exp = validate_section(Experiment, _raw(universe={"mode": "per_symbol"}), "test")
    prep = prepare_universe(exp, load_universe(exp))
    splits = shared_walk_forward(prep.index[prep.samples].as_unit("ns").asi8,
                                 prep.series[prep.samples], exp.split, 1, prep.symbols)
    return exp, prep, splits


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Torch on one thread, as in a Ray task of one CPU (sums in the same order)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _section(report: dict[str, Any], name: str) -> dict[str, Any]:
    section = dict(report["universe"]["symbols"][name])
    section.pop("bundle", None)
    return section


def test_each_symbols_folds_on_ray_are_its_folds_in_process(
        local_ray: None, universe: Any, tmp_path: Path, one_thread: None) -> None:
    exp, prep, splits = universe
    on_ray = train_symbols_on_ray(prep, exp, splits, "local", tmp_path / "run")
    assert [len(own) for own in on_ray] == [len(splits)] * 2
    starts = np.searchsorted(prep.series[prep.samples], np.arange(3))
    for s in range(2):
        for split, remote in zip(splits, on_ray[s], strict=True):
            local = run_fold(prep.view(s), exp, series_split(split, starts, s), progress=False)
            assert remote.fold == local.fold and remote.best_epoch == local.best_epoch
            for name in ("train_rows", "val_rows", "test_rows", "logits", "probs",
                         "val_probs", "model_input"):
                np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))
            assert remote.metrics == local.metrics and remote.temperature == local.temperature
            untimed = [[{k: v for k, v in e.items() if k != "time"} for e in f.history]
                       for f in (remote, local)]
            assert untimed[0] == untimed[1] and len(untimed[0]) == 2  # epochs: 2
    assert not _scratch(tmp_path / "run").exists()  # Ray's session folder is removed


def test_an_error_in_a_task_keeps_its_class_and_exit_code(local_ray: None, universe: Any,
                                                         tmp_path: Path) -> None:
    exp, prep, splits = universe  # quotas are checked against the labels inside fit
    bad = exp.model_copy(update={"training": exp.training.model_copy(update={
        "sampler": exp.training.sampler.model_copy(update={
            "kind": "class_balanced", "quotas": [0.2, 0.3, 0.5]})})})
    with pytest.raises(ConfigError, match=r"quotas=\[0.2, 0.3, 0.5\] has 3 entries") as err:
        train_symbols_on_ray(prep, bad, splits, "local", tmp_path / "run")
    assert err.value.exit_code == 2


def test_cuda_training_on_a_cluster_without_gpus_is_refused(local_ray: None, universe: Any,
                                                             tmp_path: Path) -> None:
    exp, prep, splits = universe
    cuda = exp.model_copy(update={"training": exp.training.model_copy(
        update={"device": "cuda"})})
    with pytest.raises(ConfigError, match="the Ray cluster at local has no GPU"):
        train_symbols_on_ray(prep, cuda, splits, "local", tmp_path / "run")


@pytest.mark.slow
def test_symbols_as_ray_tasks_give_the_in_process_run(local_ray: None, tmp_path: Path,
                                                      one_thread: None) -> None:
    exp = validate_section(Experiment, _raw(universe={"mode": "per_symbol"}), "test")
    here = run_experiment(exp, out_dir=tmp_path / "here", progress=False, html=False)
    ray = run_experiment(exp, out_dir=tmp_path / "ray", progress=False, html=False,
                         address="local")
    np.testing.assert_array_equal(ray.oos.rows, here.oos.rows)
    np.testing.assert_array_equal(ray.oos.probs, here.oos.probs)  # same seeds, same numbers
    for name in ("AAA/USD", "BBB/USD"):
        np.testing.assert_array_equal(ray.symbols[name].oos.logits, here.symbols[name].oos.logits)
    ours, theirs = (json.loads(r.report_json.read_text()) for r in (ray, here))
    for name in ("AAA/USD", "BBB/USD"):
        assert _section(ours, name) == _section(theirs, name)
    assert ours["oos"] == theirs["oos"] and ours["gate"] == theirs["gate"]
    assert not [p for p in (tmp_path / "ray").rglob("*") if p.suffix in {".pkl", ".pickle"}]
    assert not _scratch(tmp_path / "ray").exists()  # Ray's session folder is removed


def test_address_is_refused_without_symbols_to_spread(tmp_path: Path) -> None:
    exp = validate_section(Experiment, _raw(universe={"mode": "pooled"}), "test")
    with pytest.raises(ConfigError, match=r"--address local: .*universe.mode 'pooled'"):
        run_experiment(exp, out_dir=tmp_path / "run", progress=False, address="local")
    assert not (tmp_path / "run").exists()  # refused before the run folder


def test_the_run_command_refuses_address_for_one_series(tmp_path: Path) -> None:
    raw = _raw()
    raw["data"] = {"source": "synthetic:planted?bars=1200&seed=1&timeframe=1h"}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(raw))
    done = subprocess.run([str(TRADEWIND), "run", str(path), "--out", str(tmp_path / "run"),
                           "--address", "auto", "--quiet", "--no-html"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stderr
    assert "--address auto" in done.stderr and "one series" in done.stderr
