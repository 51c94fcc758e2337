"""One walk-forward fold: fit the normaliser on training rows, train, calibrate, predict.

The same ``train_and_calibrate`` serves every fold and the final refit, so the bundle is
built exactly the way the measured models were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from tradewind.calibration import CalibrationOutcome, make_calibrator
from tradewind.config import Experiment
from tradewind.dataset import Normalizer, SeriesNormalizer, Split, Windows
from tradewind.evaluation import FoldImportance, classification_metrics, fold_importance
from tradewind.models import ModelSpec, build, count_parameters
from tradewind.models.specs import SymbolEmbeddingSpec
from tradewind.pipeline.prepare import Prepared
from tradewind.training import TrainingData, TrainSpec, fit, predict_logits

__all__ = [
    "FoldResult", "TeacherOutput", "TrainedModel", "run_fold", "symbol_embedding_spec",
    "train_and_calibrate",
]


@dataclass
class TrainedModel:
    """A model with the normalisers and calibrator fitted for it.

    ``normalizer``/``side_normalizer`` are series 0's (the only ones with one series);
    ``normalizers``/``side_normalizers`` hold one per series, in series order. With a
    ``symbol_embedding`` the model reads each row's series id from the last column of
    ``side`` (see :mod:`tradewind.models.symbol_embedding`).
    """

    model: torch.nn.Module
    normalizer: Normalizer
    side_normalizer: Normalizer | None
    calibrator: Any
    windows: Windows
    side: torch.Tensor | None
    history: list[dict[str, Any]]
    best_epoch: int
    val_logits: np.ndarray
    tta: tuple[str, ...] = ()
    normalizers: list[Normalizer] = field(default_factory=list)
    side_normalizers: list[Normalizer] | None = None
    symbol_embedding: SymbolEmbeddingSpec | None = None

    @property
    def n_params(self) -> int:
        return count_parameters(self.model)

    def logits(self, rows: np.ndarray, tta: tuple[str, ...] = ()) -> np.ndarray:
        return predict_logits(self.model, self.windows, rows, side=self.side, tta=tta)


@dataclass
class FoldResult:
    """Out-of-sample output of one fold, rows are positions in ``Prepared`` arrays."""

    fold: int
    train_rows: np.ndarray
    val_rows: np.ndarray
    test_rows: np.ndarray
    logits: np.ndarray
    probs: np.ndarray
    temperature: float | None
    best_epoch: int
    history: list[dict[str, Any]]
    model_input: np.ndarray  # normalised last-bar features of test rows, for the scale audit
    val_probs: np.ndarray  # calibrated probabilities of the validation rows (policy fitting)
    metrics: dict[str, Any] = field(default_factory=dict)
    n_params: int = 0
    teacher: TeacherOutput | None = None
    importance: FoldImportance | None = None  # out-of-sample feature importance (importance:)
    calibration: CalibrationOutcome | None = None  # fitted / bounded / kept_identity


@dataclass
class TeacherOutput:
    """The fold's teacher on the same test rows as the student (``Experiment.teacher``)."""

    logits: np.ndarray
    probs: np.ndarray
    best_epoch: int
    n_params: int
    metrics: dict[str, Any]


def _history_dicts(history: list[Any]) -> list[dict[str, Any]]:
    out = []
    for record in history:
        row = record.to_dict() if hasattr(record, "to_dict") else dict(vars(record))
        out.append(row)
    return out


def symbol_embedding_spec(prep: Prepared, exp: Experiment) -> SymbolEmbeddingSpec | None:
    """The learned symbol embedding of a model pooled over ``prep``'s series
    (``universe.embedding``), or None: it is off, or there is one series (a per_symbol
    model, or a single-series run)."""
    if not exp.universe.embedding or prep.n_series < 2:
        return None
    return SymbolEmbeddingSpec(dim=exp.universe.embedding, symbols=list(prep.symbols))


def train_and_calibrate(
    prep: Prepared,
    exp: Experiment,
    train_rows: np.ndarray,
    val_rows: np.ndarray,
    *,
    training: TrainSpec | None = None,
    seed: int = 0,
    progress: bool = True,
    model_spec: ModelSpec | None = None,
    use_side: bool = True,
    teacher: TrainedModel | None = None,
) -> TrainedModel:
    """Fit normaliser (training rows only), model and calibrator (validation rows).

    ``model_spec`` replaces ``exp.model`` (the teacher's architecture), ``use_side=False``
    withholds the side vector, and ``teacher`` supplies distillation targets: its logits on
    the same training windows, computed once before training.
    """
    lookback = exp.lookback
    normalizer = SeriesNormalizer(kind=exp.normalizer.kind, clip=exp.normalizer.clip).fit(
        prep.X, prep.offsets, train_rows, lookback, prep.features.names, prep.symbols)
    windows = Windows(normalizer.transform(prep.X), lookback)
    side_norm = None
    side = None
    if prep.side is not None and use_side:
        side_norm = SeriesNormalizer(kind=exp.normalizer.kind, clip=exp.normalizer.clip).fit(
            prep.side, prep.offsets, train_rows, lookback, prep.features.side_names, prep.symbols)
        side = torch.from_numpy(side_norm.transform(prep.side))
    torch.manual_seed(seed)
    side_dim = prep.side_dim if side is not None else 0
    embedding = symbol_embedding_spec(prep, exp)
    model = build(model_spec or exp.model, prep.n_features, len(prep.classes), side_dim=side_dim,
                  symbol_embedding=embedding, verbose=False)
    if embedding is not None:  # each row's series id rides in the side input's last column
        ids = torch.from_numpy(prep.series.astype(np.float32)).unsqueeze(1)
        side = ids if side is None else torch.cat([side.float(), ids], dim=1)
    aux = torch.from_numpy(np.nan_to_num(prep.forward_return).astype(np.float32))
    data = TrainingData(
        windows=windows,
        y=torch.from_numpy(prep.y),
        train_ends=train_rows,
        val_ends=val_rows,
        n_classes=len(prep.classes),
        side=side,
        aux=aux,
        teacher_logits=None if teacher is None else teacher.logits(train_rows, teacher.tta),
    )
    spec = training or exp.training
    result = fit(model, data, spec.model_copy(update={"seed": seed}), progress=progress)
    tta = tuple(spec.tta)
    val_logits = predict_logits(result.model, windows, val_rows, side=side, tta=tta)
    calibrator = make_calibrator(
        exp.calibration, block=exp.bootstrap.block or max(exp.labels.horizon, 24),
        n_boot=exp.bootstrap.n_boot, level=exp.bootstrap.level, seed=seed,
    ).fit(val_logits, prep.y[val_rows])
    return TrainedModel(
        model=result.model,
        normalizer=normalizer.normalizers_[0],
        side_normalizer=None if side_norm is None else side_norm.normalizers_[0],
        calibrator=calibrator,
        windows=windows,
        side=side,
        history=_history_dicts(result.history),
        best_epoch=int(result.best_epoch),
        val_logits=val_logits,
        tta=tta,
        normalizers=normalizer.normalizers_,
        side_normalizers=None if side_norm is None else side_norm.normalizers_,
        symbol_embedding=embedding,
    )


def run_fold(prep: Prepared, exp: Experiment, split: Split, *, progress: bool = True) -> FoldResult:
    """Train on the fold's training rows, calibrate on its validation rows, predict its test rows."""
    train_rows = prep.samples[split.train]
    val_rows = prep.samples[split.val]
    test_rows = prep.samples[split.test]
    teacher, teacher_out = None, None
    if exp.teacher is not None:
        teacher = train_and_calibrate(
            prep, exp, train_rows, val_rows, training=exp.teacher.training_spec(exp.training),
            seed=exp.seed + split.fold, progress=progress,
            model_spec=exp.teacher.model, use_side=exp.teacher.use_side,
        )
        teacher_out = _score(teacher, prep, test_rows)
    trained = train_and_calibrate(
        prep, exp, train_rows, val_rows, seed=exp.seed + split.fold, progress=progress,
        teacher=teacher,
    )
    scored = _score(trained, prep, test_rows)  # trained.tta is exp.training.tta
    temperature = getattr(trained.calibrator, "temperature_", None)
    importance = None
    if exp.importance.enabled:
        importance = fold_importance(
            trained.model, trained.windows, test_rows, prep.y, trained.calibrator.predict_proba,
            prep.features.names, exp.importance, side=trained.side,
            side_names=_side_names(prep, trained),
            categorical_side=0 if trained.symbol_embedding is None else 1,
            tta=tuple(exp.training.tta), fold=split.fold, seed=exp.seed + split.fold,
        )
    return FoldResult(
        fold=split.fold,
        train_rows=train_rows,
        val_rows=val_rows,
        test_rows=test_rows,
        logits=scored.logits,
        probs=scored.probs,
        temperature=None if temperature is None else float(temperature),
        best_epoch=trained.best_epoch,
        history=trained.history,
        model_input=trained.windows.matrix[torch.from_numpy(test_rows)].numpy(),
        val_probs=trained.calibrator.predict_proba(trained.val_logits),
        metrics=scored.metrics,
        n_params=trained.n_params,
        teacher=teacher_out,
        importance=importance,
        calibration=trained.calibrator.outcome_,
    )


def _side_names(prep: Prepared, trained: TrainedModel) -> tuple[str, ...]:
    """Names of ``trained.side``'s columns: the side features, then ``symbol`` (the id)."""
    if trained.symbol_embedding is None:
        return tuple(prep.features.side_names) if trained.side is not None else ()
    return (*(prep.features.side_names if trained.side_normalizers is not None else ()),
            "symbol")


def _score(trained: TrainedModel, prep: Prepared, rows: np.ndarray) -> TeacherOutput:
    """Calibrated predictions and metrics of ``trained`` on ``rows`` (student or teacher)."""
    logits = trained.logits(rows, trained.tta)
    probs = trained.calibrator.predict_proba(logits)
    return TeacherOutput(
        logits=logits,
        probs=probs,
        best_epoch=trained.best_epoch,
        n_params=trained.n_params,
        metrics=classification_metrics(prep.y[rows], probs, list(prep.classes)).to_dict(),
    )

