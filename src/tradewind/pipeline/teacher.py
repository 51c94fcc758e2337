"""Teacher against distilled student, scored on the same out-of-sample rows.

Seed 000 reported "student beats teacher" from one test split without an interval. Here
both predictors come from the same walk-forward folds, and the student − teacher MCC
interval is paired (both are scored on every bootstrap resample), so the claim is either
measured or refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradewind.config import Experiment
from tradewind.evaluation import classification_metrics, moving_block_bootstrap_ci
from tradewind.report.schema import BaselineResult, TeacherStudent
from tradewind.report.sections import diff_reading

if TYPE_CHECKING:
    from tradewind.pipeline.folds import FoldResult

__all__ = ["teacher_student_section"]


def _pair(lower: float, upper: float) -> tuple[float, float] | None:
    return (float(lower), float(upper)) if np.isfinite(lower) and np.isfinite(upper) else None


def teacher_student_section(
    exp: Experiment, folds: list[FoldResult], y: np.ndarray, student_probs: np.ndarray,
    classes: list[str], *, block: int,
) -> TeacherStudent | None:
    """The report's teacher-vs-student section, or None when the run had no teacher.

    ``y`` and ``student_probs`` are the concatenated out-of-sample rows of ``folds``.
    """
    if exp.teacher is None or exp.training.distillation is None:
        return None
    teachers = [f.teacher for f in folds if f.teacher is not None]
    if len(teachers) != len(folds):
        return None
    teacher_probs = np.concatenate([t.probs for t in teachers])
    boot = moving_block_bootstrap_ci(
        y, {"model": student_probs.argmax(axis=1), "teacher": teacher_probs.argmax(axis=1)},
        model_key="model", block=block, horizon=exp.labels.horizon,
        n_boot=exp.bootstrap.n_boot, seed=exp.seed, level=exp.bootstrap.level,
    )
    t_metrics = classification_metrics(y, teacher_probs, classes)
    t_int = boot.predictors["teacher"]
    diff = boot.mcc_difference["teacher"]
    diff_pair = _pair(diff.lower, diff.upper)
    return TeacherStudent(
        teacher_model=exp.teacher.model.name,
        student_model=exp.model.name,
        teacher_params=teachers[0].n_params,
        student_params=folds[0].n_params,
        alpha=exp.training.distillation.alpha,
        temperature=exp.training.distillation.temperature,
        teacher=BaselineResult(
            mcc=t_metrics.mcc,
            mcc_ci=_pair(t_int.mcc.lower, t_int.mcc.upper),
            accuracy=t_metrics.accuracy,
            accuracy_ci=_pair(t_int.accuracy.lower, t_int.accuracy.upper),
            mcc_diff_ci=diff_pair,
        ),
        teacher_fold_mcc=[t.metrics["mcc"] for t in teachers],
        student_fold_mcc=[f.metrics["mcc"] for f in folds],
        reading=diff_reading(diff_pair, "student better", "teacher better", "no clear difference"),
    )
