"""Teacher -> student distillation inside a run: the teacher is trained per fold on the
student's own rows, its soft targets really steer the student, and the report compares both
on the same out-of-sample rows with a paired interval."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pipeline_helpers import small_experiment

from tradewind.artifacts.bundle import load_bundle
from tradewind.exceptions import ConfigError
from tradewind.pipeline.experiment import run_experiment

PLANTED = "synthetic:planted?bars=6000&seed=4&timeframe=1h"
RANDOM = "synthetic:random_walk?bars=5000&seed=5&timeframe=1h"

TEACHER = {"model": {"name": "lstm", "hidden_size": 32, "num_layers": 1, "bidirectional": False,
                     "dropout": 0.0}}
STUDENT = {"name": "fnn", "hidden": [16], "dropout": 0.0, "batchnorm": False}


def _distilled(source: str, alpha: float, **extra):
    return small_experiment(
        source, model=STUDENT, teacher=TEACHER,
        training={"epochs": 12, "batch_size": 256, "lr": 0.003,
                  "early_stopping": {"monitor": "val_loss", "patience": 4},
                  "distillation": {"alpha": alpha, "temperature": 1.0}},
        bootstrap={"n_boot": 200}, **extra,
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("teacher")
    return run_experiment(_distilled(PLANTED, 0.8), out_dir=out, progress=False), out


def test_report_puts_teacher_and_student_side_by_side(planted) -> None:
    result, out = planted
    d = result.report.distillation
    assert d is not None
    assert (d.teacher_model, d.student_model) == ("lstm", "fnn")
    assert d.teacher_params > d.student_params > 0
    assert len(d.teacher_fold_mcc) == len(d.student_fold_mcc) == len(result.report.folds)
    # the teacher learned the planted edge out of sample, on the student's rows
    lo, hi = d.teacher.mcc_ci
    assert lo > 0 and lo <= d.teacher.mcc <= hi
    diff = d.teacher.mcc_diff_ci
    assert diff is not None and diff[0] <= result.report.oos.mcc - d.teacher.mcc <= diff[1]
    expected = ("student better" if diff[0] > 0 else
                "teacher better" if diff[1] < 0 else "no clear difference")
    assert d.reading == expected
    saved = json.loads((out / "report.json").read_text())
    assert saved["distillation"]["reading"] == d.reading
    html = (out / "report.html").read_text()
    assert 'id="distillation"' in html and "student − teacher MCC" in html


def test_bundle_holds_the_student_alone_and_records_the_teacher(planted) -> None:
    result, _ = planted
    bundle = load_bundle(result.bundle_path)
    teacher = bundle.manifest.training["teacher"]
    assert teacher["model"]["name"] == "lstm" and teacher["epochs"] >= 1
    assert bundle.manifest.model["name"] == "fnn"


def test_soft_targets_steer_the_student(tmp_path) -> None:
    """On a random walk there is nothing to learn, so a student that agrees with its teacher
    far more than a label-trained one does, must be copying the teacher's soft targets."""

    def agreement(alpha: float) -> float:
        result = run_experiment(_distilled(RANDOM, alpha, registry={"enabled": False}),
                                out_dir=tmp_path / str(alpha), progress=False)
        assert result.oos.teacher_probs is not None
        return float(np.mean(result.oos.teacher_probs.argmax(axis=1) == result.oos.pred))

    assert agreement(0.0) > agreement(1.0) + 0.1


def test_teacher_without_distillation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"teacher and training\.distillation"):
        small_experiment(PLANTED, model=STUDENT, teacher=TEACHER)
