"""The model users deploy: refit on all labelled data, then bundle it with its normaliser.

The number of epochs comes from the folds (median best epoch), so the refit needs no
look at data it is judged on. The last ``split.val_fraction`` of the samples, purged by
the horizon, is held out to fit the temperature and to choose the trade policy, exactly
as in each fold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tradewind import __version__
from tradewind.artifacts.bundle import BundleManifest, save_bundle
from tradewind.config import Experiment
from tradewind.features import warmup_bars
from tradewind.monitor.reference import MAX_SHARE_ROWS, Promises, training_reference
from tradewind.pipeline.folds import FoldResult, TrainedModel, train_and_calibrate
from tradewind.pipeline.policy import fit_fold_policy
from tradewind.pipeline.prepare import Prepared
from tradewind.policy import TradePolicy
from tradewind.training import TrainSpec

__all__ = ["final_training_spec", "refit_and_bundle"]


def final_training_spec(
    exp: Experiment, folds: list[FoldResult], *, teacher: bool = False
) -> TrainSpec:
    """Training spec for the refit: fixed epochs (median best fold epoch), no early stop.

    ``teacher=True`` gives the teacher's spec, with the teacher's own best fold epochs.
    """
    if teacher:
        assert exp.teacher is not None
        base = exp.teacher.training_spec(exp.training)
        best = [f.teacher.best_epoch for f in folds if f.teacher is not None]
    else:
        base, best = exp.training, [f.best_epoch for f in folds]
    epochs = max(1, int(np.median(best)))
    stopping = base.early_stopping.model_copy(
        update={"patience": epochs + 1, "restore_best": False}
    )
    return base.model_copy(update={"epochs": epochs, "early_stopping": stopping})


def monitoring_entry(prep: Prepared, exp: Experiment, trained: TrainedModel, train: np.ndarray,
                     val: np.ndarray, promises: Promises | None) -> dict[str, Any]:
    """The bundle's ``monitoring`` entry: quantile bins of every raw feature on the refit's
    training rows, its predicted-class shares on training (at most ``MAX_SHARE_ROWS``
    evenly spaced rows) and validation rows, the run's promises and ``monitor:`` settings."""
    X, names = prep.X[train], list(prep.features.names)
    if prep.side is not None:
        X, names = np.hstack([X, prep.side[train]]), names + list(prep.features.side_names)
    rows = train[:: max(len(train) // MAX_SHARE_ROWS, 1)]
    proba = trained.calibrator.predict_proba
    reference = training_reference(
        X, names, classes=prep.classes, bins=exp.monitor.bins, promises=promises,
        train_pred=proba(trained.logits(rows, trained.tta)).argmax(axis=1),
        val_pred=proba(trained.val_logits).argmax(axis=1),
        settings=exp.monitor.model_dump(mode="json"))
    return reference.model_dump(mode="json")


def refit_and_bundle(
    prep: Prepared,
    exp: Experiment,
    folds: list[FoldResult],
    path: Path,
    *,
    metrics: Any,
    boot: Any,
    verdict: Any,
    progress: bool = True,
    promises: Promises | None = None,
) -> Path:
    """Train the deployable model on all samples and save it as a bundle at ``path``.

    ``promises`` (the report's out-of-sample figures) go into the manifest's ``monitoring``
    entry beside the training distribution (see :func:`monitoring_entry`)."""
    samples = prep.samples
    horizon = max(exp.labels.horizon, exp.split.purge or 0)
    n_val = max(int(len(samples) * exp.split.val_fraction), 1)
    val = samples[-n_val:]
    train = samples[: max(len(samples) - n_val - horizon, 1)]
    spec = final_training_spec(exp, folds)
    teacher, teacher_info = None, None
    if exp.teacher is not None:
        teacher_spec = final_training_spec(exp, folds, teacher=True)
        teacher = train_and_calibrate(
            prep, exp, train, val, training=teacher_spec, seed=exp.seed, progress=progress,
            model_spec=exp.teacher.model,
            use_side=exp.teacher.use_side,
        )
        teacher_info = {"model": exp.teacher.model.model_dump(mode="json"),
                        "epochs": teacher_spec.epochs, "params": teacher.n_params}
    trained = train_and_calibrate(
        prep, exp, train, val, training=spec, seed=exp.seed, progress=progress,
        teacher=teacher,
    )
    if exp.backtest.enabled and exp.policy.fit:
        chosen = fit_fold_policy(exp, prep, val, trained.calibrator.predict_proba(trained.val_logits),
                                 train)
        policy, policy_reason = chosen.policy, chosen.reason
    else:
        policy = TradePolicy.every_signal(exp.labels, exp.backtest.exit_spec(exp.labels))
        policy_reason = "every signal (policy fitting is off)"
    manifest = BundleManifest(
        tradewind_version=__version__,
        name=exp.name,
        model=exp.model.model_dump(mode="json"),
        features=exp.features.model_dump(mode="json"),
        labels=exp.labels.model_dump(mode="json"),
        lookback=exp.lookback,
        warmup_bars=int(warmup_bars(exp.features, prep.timeframe)),
        classes=list(prep.classes),
        feature_names=list(prep.features.names),
        side_names=list(prep.features.side_names),
        normalizer=trained.normalizer.to_dict(),
        side_normalizer=(
            trained.side_normalizer.to_dict() if trained.side_normalizer is not None else None
        ),
        calibration=trained.calibrator.to_dict(),
        tta=list(exp.training.tta),
        data={
            "source": exp.data.source,
            "symbol": exp.data.symbol,
            "timeframe": prep.timeframe,
            "rows": len(prep.candles),
            "first": str(prep.candles.index[0]),
            "last": str(prep.candles.index[-1]),
            "fingerprint": prep.fingerprint,
            "policy": exp.data.policy.model_dump(mode="json"),  # serve and live apply its gaps
        },
        metrics={
            "oos_mcc": float(metrics.mcc),
            "oos_mcc_ci": list(boot.ci(boot.model_key, "mcc")),
            "oos_accuracy": float(metrics.accuracy),
            "oos_ece": float(metrics.ece),
        },
        gate=verdict.to_dict(),
        training={"epochs": spec.epochs, "train_rows": len(train), "calibration_rows": len(val),
                  "seed": exp.seed, "policy": policy_reason,
                  **({"teacher": teacher_info} if teacher_info else {})},
        policy=policy.model_dump(mode="json"),
        monitoring=monitoring_entry(prep, exp, trained, train, val, promises),
    )
    return save_bundle(path, trained.model, manifest)
