"""The model users deploy: refit on all labelled data, then bundle it with its normaliser.

The number of epochs comes from the folds (median best epoch), so the refit needs no
look at data it is judged on. The last ``split.val_fraction`` of the samples, purged by
the horizon, is held out to fit the temperature and to choose the trade policy, exactly
as in each fold (per series, when there are several).
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

__all__ = ["final_rows", "final_training_spec", "refit_and_bundle", "refit_pooled_and_bundle"]


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
                     val_logits: np.ndarray, promises: Promises | None) -> dict[str, Any]:
    """The bundle's ``monitoring`` entry: quantile bins of every raw feature on the refit's
    training rows (of the series the bundle serves), its predicted-class shares on training
    (at most ``MAX_SHARE_ROWS`` evenly spaced rows) and validation rows (``val_logits``), the
    run's promises and ``monitor:`` settings."""
    X, names = prep.X[train], list(prep.features.names)
    if prep.side is not None:
        X, names = np.hstack([X, prep.side[train]]), names + list(prep.features.side_names)
    rows = train[:: max(len(train) // MAX_SHARE_ROWS, 1)]
    proba = trained.calibrator.predict_proba
    reference = training_reference(
        X, names, classes=prep.classes, bins=exp.monitor.bins, promises=promises,
        train_pred=proba(trained.logits(rows, trained.tta)).argmax(axis=1),
        val_pred=proba(val_logits).argmax(axis=1),
        settings=exp.monitor.model_dump(mode="json"))
    return reference.model_dump(mode="json")


def final_rows(prep: Prepared, exp: Experiment) -> tuple[np.ndarray, np.ndarray]:
    """Training and calibration rows of the refit: per series, the last ``val_fraction`` of
    its samples calibrate, and its samples up to a purge gap before them train."""
    horizon = max(exp.labels.horizon, exp.split.purge or 0)
    train, val = [], []
    for s in range(prep.n_series):
        lo, hi = prep.offsets[s], prep.offsets[s + 1]
        samples = prep.samples[(prep.samples >= lo) & (prep.samples < hi)]
        n_val = max(int(len(samples) * exp.split.val_fraction), 1)
        val.append(samples[-n_val:])
        train.append(samples[: max(len(samples) - n_val - horizon, 1)])
    return np.concatenate(train), np.concatenate(val)


def _final_policy(
    exp: Experiment, prep: Prepared, val: np.ndarray, val_probs: np.ndarray, train: np.ndarray
) -> tuple[TradePolicy, str]:
    if exp.backtest.enabled and exp.policy.fit:
        chosen = fit_fold_policy(exp, prep, val, val_probs, train)
        return chosen.policy, chosen.reason
    policy = TradePolicy.every_signal(exp.labels, exp.backtest.exit_spec(exp.labels))
    return policy, "every signal (policy fitting is off)"


def _manifest(
    exp: Experiment, prep: Prepared, trained: TrainedModel, s: int, *, spec: TrainSpec,
    n_train: int, n_val: int, policy: TradePolicy, policy_reason: str, metrics: Any, boot: Any,
    verdict: Any, extra: dict[str, Any], monitoring: dict[str, Any],
) -> BundleManifest:
    """The manifest of a bundle serving series ``s`` of ``trained`` (``prep``: that series)."""
    side_norm = None if trained.side_normalizers is None else trained.side_normalizers[s]
    return BundleManifest(
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
        normalizer=trained.normalizers[s].to_dict(),
        side_normalizer=side_norm.to_dict() if side_norm is not None else None,
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
            **({"references": prep.references} if prep.references else {}),
        },
        metrics={
            "oos_mcc": float(metrics.mcc),
            "oos_mcc_ci": list(boot.ci(boot.model_key, "mcc")),
            "oos_accuracy": float(metrics.accuracy),
            "oos_ece": float(metrics.ece),
        },
        gate=verdict.to_dict(),
        training={"epochs": spec.epochs, "train_rows": n_train, "calibration_rows": n_val,
                  "seed": exp.seed, "policy": policy_reason, **extra},
        policy=policy.model_dump(mode="json"),
        monitoring=monitoring,
    )


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
    """Train the deployable model on all samples of one series and save it as a bundle at ``path``.

    ``promises`` (the report's out-of-sample figures) go into the manifest's ``monitoring``
    entry beside the training distribution (see :func:`monitoring_entry`)."""
    train, val = final_rows(prep, exp)
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
    policy, policy_reason = _final_policy(
        exp, prep, val, trained.calibrator.predict_proba(trained.val_logits), train)
    manifest = _manifest(
        exp, prep, trained, 0, spec=spec, n_train=len(train), n_val=len(val), policy=policy,
        policy_reason=policy_reason, metrics=metrics, boot=boot, verdict=verdict,
        extra={"teacher": teacher_info} if teacher_info else {},
        monitoring=monitoring_entry(prep, exp, trained, train, trained.val_logits, promises),
    )
    return save_bundle(path, trained.model, manifest)


def refit_pooled_and_bundle(
    prep: Prepared,
    exp: Experiment,
    folds: list[FoldResult],
    targets: list[tuple[Experiment, Path, Any, Any, Any, Promises | None]],
    *,
    progress: bool = True,
) -> list[Path]:
    """Train one model on all samples of every series and save a bundle per symbol.

    ``targets[s]`` is ``(experiment of series s alone, bundle path, metrics, bootstrap,
    verdict, promises)``. Every bundle holds the same weights and calibrator with its own series'
    normaliser and a trade policy chosen on its own calibration rows, so each serves
    exactly its symbol. With ``universe.embedding`` the manifest's ``symbol_embedding``
    names the symbol's row of the shared embedding, which the loaded model uses.
    """
    train, val = final_rows(prep, exp)
    spec = final_training_spec(exp, folds)
    trained = train_and_calibrate(prep, exp, train, val, training=spec, seed=exp.seed,
                                  progress=progress)
    val_probs = trained.calibrator.predict_proba(trained.val_logits)
    embedding = trained.symbol_embedding
    paths = []
    for s, (own, path, metrics, boot, verdict, promises) in enumerate(targets):
        view = prep.view(s)
        in_series = (val >= prep.offsets[s]) & (val < prep.offsets[s + 1])
        own_train, own_val = prep.series_rows(train, s), prep.series_rows(val, s)
        policy, policy_reason = _final_policy(own, view, own_val, val_probs[in_series], own_train)
        manifest = _manifest(
            own, view, trained, s, spec=spec, n_train=len(own_train), n_val=len(own_val),
            policy=policy, policy_reason=policy_reason, metrics=metrics, boot=boot,
            verdict=verdict, extra={"pooled_symbols": list(prep.symbols),
                                    "pooled_train_rows": len(train),
                                    "symbol_embedding": 0 if embedding is None else embedding.dim},
            monitoring=monitoring_entry(prep, own, trained, train[prep.series[train] == s],
                                        trained.val_logits[in_series], promises),
        )
        if embedding is not None:  # the shared weights, read at this symbol's row
            manifest = manifest.model_copy(update={"symbol_embedding": embedding.model_copy(
                update={"index": s}).model_dump(mode="json")})
        paths.append(save_bundle(path, trained.model, manifest))
    return paths
