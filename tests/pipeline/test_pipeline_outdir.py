"""A run writes only its own files in --out, all at once, and publishes only those."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tradewind.artifacts import ENV_TRACKING_URI, Registry
from tradewind.exceptions import OutputDirError
from tradewind.pipeline.outdir import RUN_MANIFEST, check_out_dir, open_run_folder

TRADEWIND = Path(sys.executable).parent / "tradewind"


def _write_run(folder: Path, tag: str, *, overwrite: bool = False) -> Path:
    """A fake run through the run folder: bundle + report, swapped in by commit."""
    run = open_run_folder(folder, overwrite=overwrite)
    (run.staging / "bundle").mkdir()
    for name in ("weights.safetensors", "manifest.json", "checksums.sha256"):
        (run.staging / "bundle" / name).write_text(f"{tag} {name}")
    (run.staging / "report.json").write_text(json.dumps({"tag": tag}))
    return run.commit()


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_a_folder_with_foreign_files_is_refused_by_name_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "bundle").mkdir(parents=True)
    (out / "secrets.env").write_text("API_KEY=x")
    (out / "bundle" / "notes.txt").write_text("mine")
    before = _tree(out)
    with pytest.raises(OutputDirError, match=r"2 file\(s\) no tradewind run wrote: "
                                             r"bundle/notes\.txt, secrets\.env"):
        open_run_folder(out, overwrite=True)
    assert _tree(out) == before
    assert not list(tmp_path.glob(".out.run-*"))


def test_a_previous_run_is_replaced_whole_only_with_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_run(out, "old")
    old = _tree(out)
    assert json.loads(old[RUN_MANIFEST])["files"] == [
        "bundle/checksums.sha256", "bundle/manifest.json", "bundle/weights.safetensors",
        "report.json"]
    with pytest.raises(OutputDirError, match=r"previous run.*pass --overwrite"):
        open_run_folder(out)
    assert _tree(out) == old
    _write_run(out, "new", overwrite=True)
    new = _tree(out)
    assert all("new" in text for name, text in new.items() if name != RUN_MANIFEST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or old left


def test_a_run_that_dies_before_commit_leaves_the_previous_run_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_run(out, "old")
    old = _tree(out)
    run = open_run_folder(out, overwrite=True)
    (run.staging / "bundle").mkdir()
    (run.staging / "bundle" / "weights.safetensors").write_text("half of a new run")
    run.discard()  # what an exception (atexit) or the next run after a kill does
    assert _tree(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staging_left_by_a_killed_run_is_removed_by_the_next_run(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = tmp_path / f".out.run-{dead.stdout.strip()}-abcd1234"
    (stale / "bundle").mkdir(parents=True)
    _write_run(tmp_path / "out", "new")
    assert not stale.exists()


def test_a_file_appearing_during_the_run_keeps_the_finished_run_in_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = open_run_folder(out)
    (run.staging / "report.json").write_text("{}")
    out.mkdir()
    (out / "notes.txt").write_text("written while the run trained")
    with pytest.raises(OutputDirError, match=r"notes\.txt.*complete in .*\.out\.run-"):
        run.commit()
    assert (run.staging / "report.json").is_file() and (run.staging / RUN_MANIFEST).is_file()
    assert _tree(out) == {"notes.txt": "written while the run trained"}


def test_a_run_folder_of_an_older_release_counts_as_a_previous_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "bundle").mkdir(parents=True)
    (out / "bundle" / "manifest.json").write_text("{}")
    (out / "bundle" / "weights.safetensors").write_text("w")
    (out / "export").mkdir()
    (out / "export" / "model.onnx").write_text("g")
    (out / "report.json").write_text(json.dumps(
        {"export": {"dir": "/elsewhere/out/export", "files": ["model.onnx"]}}))
    with pytest.raises(OutputDirError, match="pass --overwrite"):
        check_out_dir(out, overwrite=False)
    assert check_out_dir(out, overwrite=True) is True
    (out / "export" / "mine.txt").write_text("m")
    with pytest.raises(OutputDirError, match=r"export/mine\.txt"):
        check_out_dir(out, overwrite=True)


def test_a_file_as_out_and_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputDirError, match="is a file"):
        check_out_dir(tmp_path / "file", overwrite=True)
    (tmp_path / "empty").mkdir()
    _write_run(tmp_path / "empty", "new")
    assert (tmp_path / "empty" / "report.json").is_file()


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_TRACKING_URI}
    env.update(OMP_NUM_THREADS="1", COLUMNS="200")
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def test_the_run_command_refuses_foreign_files_then_replaces_its_own_run(tmp_path: Path) -> None:
    config = {
        "name": "outdir",
        "data": {"source": "synthetic:random_walk?bars=3000&seed=2&timeframe=1h"},
        "lookback": 4,
        "split": {"n_folds": 2, "min_train": 0.5},
        "model": {"name": "lstm", "hidden_size": 8, "num_layers": 1, "bidirectional": False},
        "training": {"epochs": 1},
        "bootstrap": {"n_boot": 100},
        "registry": {"root": str(tmp_path / "runs")},
    }
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    out.mkdir()
    (out / "secrets.env").write_text("API_KEY=x")

    refused = _run("run", "exp.yaml", "--out", "out", "--quiet", "--no-html", cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "secrets.env" in refused.stderr and "Traceback" not in refused.stderr
    assert _tree(out) == {"secrets.env": "API_KEY=x"}

    (out / "secrets.env").unlink()
    first = _run("run", "exp.yaml", "--out", "out", "--quiet", "--no-html", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["bundle"] == "out/bundle"
    registry = Registry(root=tmp_path / "runs")
    run_id = report["registry"]["run_id"]
    assert {a.path for a in registry.client.list_artifacts(run_id, "report")} == {
        "report/report.json"}

    again = _run("run", "exp.yaml", "--out", "out", "--quiet", "--no-html", cwd=tmp_path)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert json.loads((out / "report.json").read_text())["registry"]["run_id"] == run_id

    replaced = _run("run", "exp.yaml", "--out", "out", "--quiet", "--no-html", "--overwrite",
                    cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    new_report = json.loads((out / "report.json").read_text())
    assert new_report["registry"]["version"] == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml", "out", "runs"]
