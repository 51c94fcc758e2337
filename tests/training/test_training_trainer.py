"""fit: learns, stops early with the best weights, repeats bit-for-bit, runs every remedy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import matthews_corrcoef

from tradewind.dataset.windows import Windows
from tradewind.exceptions import ConfigError, DataError
from tradewind.training import (
    Callback,
    TrainingData,
    TrainSpec,
    TrainState,
    fit,
    mcc_from_confusion,
    predict_logits,
    teacher_logits,
)

CPU = {"device": "cpu"}


def _accuracy(model, data: TrainingData, ends: np.ndarray) -> float:
    pred = predict_logits(model, data.windows, ends, side=data.side).argmax(1)
    return float((pred == data.y.numpy()[ends]).mean())


def test_overfits_a_planted_dataset(tiny_models, planted_data) -> None:
    torch.manual_seed(0)
    model = tiny_models["mlp"](3, 3, hidden=32)
    spec = TrainSpec(epochs=25, batch_size=64, lr=0.01, schedule={"kind": "none"}, **CPU,
                     early_stopping={"patience": 25})
    result = fit(model, planted_data, spec, progress=False)
    assert _accuracy(result.model, planted_data, planted_data.train_ends) > 0.95
    assert result.history[-1].train_loss < result.history[0].train_loss / 3
    assert result.history[result.best_epoch - 1].val_accuracy > 0.9
    assert not result.model.training


class Snapshots(Callback):
    """Weights after every epoch, and a count of every hook."""

    def __init__(self) -> None:
        self.weights: dict[int, dict[str, torch.Tensor]] = {}
        self.calls = {"fit_start": 0, "epoch_start": 0, "batch_end": 0, "fit_end": 0}
        self.batches = 0

    def on_fit_start(self, state: TrainState) -> None:
        self.calls["fit_start"] += 1

    def on_epoch_start(self, state: TrainState) -> None:
        self.calls["epoch_start"] += 1
        self.batches += state.n_batches

    def on_batch_end(self, state: TrainState) -> None:
        self.calls["batch_end"] += 1
        assert state.loss is not None and torch.isfinite(state.loss)

    def on_epoch_end(self, state: TrainState) -> None:
        self.weights[state.epoch] = {
            k: v.detach().clone() for k, v in state.model.state_dict().items()
        }

    def on_fit_end(self, state: TrainState) -> None:
        self.calls["fit_end"] += 1


def test_early_stopping_restores_the_best_epoch_weights(tiny_models, make_planted) -> None:
    data = make_planted(n_rows=900, n_classes=2, seed=3)
    rng = np.random.default_rng(0)
    data.y = torch.from_numpy(rng.integers(0, 2, len(data.y)))  # no signal: val MCC wanders
    torch.manual_seed(0)
    model = tiny_models["mlp"](3, 2)
    spec = TrainSpec(epochs=30, batch_size=32, lr=0.05, schedule={"kind": "none"}, **CPU,
                     early_stopping={"patience": 3, "min_delta": 0.0})
    snaps = Snapshots()
    result = fit(model, data, spec, callbacks=[snaps], progress=False)
    mccs = [r.val_mcc for r in result.history]
    best = int(np.argmax(mccs)) + 1
    assert result.best_epoch == best
    assert result.stopped_epoch == len(result.history) < 30, "no early stop happened"
    assert result.stopped_epoch - result.best_epoch == 3
    final = result.model.state_dict()
    assert all(torch.equal(final[k], snaps.weights[best][k]) for k in final)
    assert not torch.equal(final["net.0.weight"], snaps.weights[result.stopped_epoch]["net.0.weight"])
    assert snaps.calls == {"fit_start": 1, "epoch_start": result.stopped_epoch,
                           "batch_end": snaps.batches, "fit_end": 1}


def test_same_seed_gives_identical_weights_on_cpu(tiny_models, planted_data) -> None:
    def run(seed: int) -> dict[str, torch.Tensor]:
        torch.manual_seed(123)
        model = tiny_models["gru"](3, 3)
        spec = TrainSpec(epochs=2, batch_size=64, seed=seed, **CPU,
                         hard_negatives={"enabled": True})
        return fit(model, planted_data, spec, progress=False).model.state_dict()

    a, b, c = run(0), run(0), run(1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_history_records_and_val_mcc(tiny_models, planted_data) -> None:
    torch.manual_seed(0)
    spec = TrainSpec(epochs=3, batch_size=128, **CPU, early_stopping={"restore_best": False})
    result = fit(tiny_models["mlp"](3, 3), planted_data, spec, progress=False)
    assert [r.epoch for r in result.history] == [1, 2, 3]
    for r in result.history:
        assert sum(r.pred_shares) == pytest.approx(1.0)
        assert 1 / 3 <= r.mean_max_prob <= 1.0
        assert all(math.isfinite(v) for v in (r.train_loss, r.val_loss, r.val_mcc, r.time))
        assert set(r.to_dict()) >= {"train_loss", "val_loss", "val_mcc", "val_accuracy", "lr",
                                    "pred_shares", "mean_max_prob", "time"}
    assert result.history[0].lr < result.history[1].lr  # warming up
    # the last epoch's val MCC equals sklearn's on the final (unrestored) model
    pred = predict_logits(result.model, planted_data.windows, planted_data.val_ends).argmax(1)
    y = planted_data.y.numpy()[planted_data.val_ends]
    assert result.history[-1].val_mcc == pytest.approx(matthews_corrcoef(y, pred), abs=1e-9)


def test_mcc_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    cm = np.zeros((3, 3))
    np.add.at(cm, (y, p), 1)
    assert mcc_from_confusion(cm) == pytest.approx(matthews_corrcoef(y, p))
    assert mcc_from_confusion(np.array([[5, 0], [3, 0]])) == 0.0


def test_aux_head_is_trained_with_masked_targets(tiny_models, planted_data) -> None:
    rng = np.random.default_rng(0)
    aux = rng.standard_normal(planted_data.windows.n_rows).astype(np.float32) * 0.01
    aux[::7] = np.nan
    planted_data.aux = torch.from_numpy(aux)
    torch.manual_seed(0)
    model = tiny_models["aux"](3, 3)
    before = model.aux.weight.detach().clone()
    result = fit(model, planted_data, TrainSpec(epochs=2, **CPU), progress=False)
    assert not torch.equal(before, result.model.aux.weight)
    assert result.aux_scale == pytest.approx(np.nanstd(aux[planted_data.train_ends]), rel=0.05)
    torch.manual_seed(0)
    model = tiny_models["aux"](3, 3)
    fit(model, planted_data, TrainSpec(epochs=1, aux_weight=0.0, **CPU), progress=False)
    assert model.aux.weight.grad is None


def test_distillation_follows_the_teacher(tiny_models, planted_data) -> None:
    """alpha = 0: only the teacher's soft targets drive the student (labels flipped here)."""
    n = len(planted_data.train_ends)
    flipped = 2 - planted_data.y.numpy()[planted_data.train_ends]
    planted_data.teacher_logits = np.eye(3, dtype=np.float32)[flipped] * 8.0
    torch.manual_seed(0)
    spec = TrainSpec(epochs=20, batch_size=64, lr=0.01, schedule={"kind": "none"}, **CPU,
                     distillation={"alpha": 0.0, "temperature": 2.0},
                     early_stopping={"monitor": "val_loss", "patience": 20,
                                     "restore_best": False})
    result = fit(tiny_models["mlp"](3, 3, hidden=32), planted_data, spec, progress=False)
    pred = predict_logits(result.model, planted_data.windows, planted_data.train_ends).argmax(1)
    assert (pred == flipped).mean() > 0.9
    assert planted_data.teacher_logits.shape == (n, 3)


def test_teacher_logits_helper_and_distillation_config_errors(tiny_models, planted_data) -> None:
    teacher = tiny_models["mlp"](3, 3)
    logits = teacher_logits(teacher, planted_data)
    assert logits.shape == (len(planted_data.train_ends), 3)
    with pytest.raises(ConfigError, match="teacher_logits is None"):
        fit(tiny_models["mlp"](3, 3), planted_data,
            TrainSpec(epochs=1, distillation={}, **CPU), progress=False)
    planted_data.teacher_logits = logits
    with pytest.raises(ConfigError, match="distillation is not set"):
        fit(tiny_models["mlp"](3, 3), planted_data, TrainSpec(epochs=1, **CPU), progress=False)


@pytest.mark.parametrize(
    "payload",
    [
        {"sampler": {"kind": "class_balanced", "quotas": [0.3, 0.3, 0.4]},
         "loss": {"class_weights": "none", "kind": "focal", "focal_gamma": [2.0, 1.0, 3.0],
                  "focal_alpha": [1.0, 1.0, 0.8], "label_smoothing": [0.0, 0.05, 0.1]},
         "hard_negatives": {"enabled": True, "classes": [0, 1], "fraction": 0.2}},
        {"sampler": {"kind": "weighted"}, "loss": {"class_weights": "none",
                                                   "entropy_penalty": 0.1,
                                                   "entropy_classes": [2]},
         "reweighting": {"enabled": True}, "schedule": {"kind": "plateau", "patience": 0},
         "optimizer": "adam", "grad_clip": None},
        {"schedule": {"kind": "cosine_restarts", "t0": 1, "t_mult": 2},
         "early_stopping": {"monitor": "val_loss"}, "reweighting": {"enabled": True}},
    ],
)
def test_every_remedy_runs_end_to_end(tiny_models, planted_data, payload: dict) -> None:
    spec = TrainSpec.model_validate({"epochs": 3, "batch_size": 64, **CPU, **payload})
    torch.manual_seed(0)
    result = fit(tiny_models["mlp"](3, 3), planted_data, spec, progress=False)
    assert len(result.history) == 3
    assert all(math.isfinite(r.train_loss) for r in result.history)
    if spec.reweighting.enabled:
        assert result.history[-1].class_factors != result.history[0].class_factors


def test_bce_with_pos_weight_trains(tiny_models, make_planted) -> None:
    data = make_planted(n_classes=2)
    spec = TrainSpec(epochs=8, batch_size=64, lr=0.01, **CPU,
                     loss={"kind": "bce", "class_weights": "none", "pos_weight": "auto"})
    torch.manual_seed(0)
    result = fit(tiny_models["mlp"](3, 2), data, spec, progress=False)
    assert result.history[result.best_epoch - 1].val_accuracy > 0.85


def test_side_inputs_reach_the_model(tiny_models, planted_data) -> None:
    rng = np.random.default_rng(1)
    planted_data.side = torch.from_numpy(
        rng.standard_normal((planted_data.windows.n_rows, 2)).astype(np.float32)
    )
    torch.manual_seed(0)
    model = tiny_models["mlp"](3, 3, side_dim=2)
    result = fit(model, planted_data, TrainSpec(epochs=2, **CPU), progress=False)
    out = predict_logits(result.model, planted_data.windows, planted_data.val_ends,
                         side=planted_data.side)
    assert out.shape == (len(planted_data.val_ends), 3)


def test_without_validation_rows_trains_every_epoch(tiny_models, planted_data) -> None:
    planted_data.val_ends = np.zeros(0, dtype=np.int64)
    torch.manual_seed(0)
    result = fit(tiny_models["mlp"](3, 3), planted_data,
                 TrainSpec(epochs=3, schedule={"kind": "plateau"}, **CPU,
                           reweighting={"enabled": True}), progress=False)
    assert result.best_epoch == result.stopped_epoch == 3
    assert all(math.isnan(r.val_mcc) for r in result.history)


def test_progress_bar_runs(tiny_models, planted_data, capsys) -> None:
    torch.manual_seed(0)
    result = fit(tiny_models["mlp"](3, 3), planted_data, TrainSpec(epochs=1, **CPU), progress=True)
    shown = capsys.readouterr()
    record = result.history[0]
    assert f"epoch 1: loss {record.train_loss:.4f}" in shown.out + shown.err
    assert "epoch 1 batches" in shown.out + shown.err
    fit(tiny_models["mlp"](3, 3), planted_data, TrainSpec(epochs=1, **CPU), progress=False)
    quiet = capsys.readouterr()
    assert quiet.out == quiet.err == ""


def test_smote_through_fit_needs_window_length_one(tiny_models, make_planted) -> None:
    data = make_planted(n_rows=600, lookback=1, n_classes=3)
    x0 = data.windows.matrix[:, 0].numpy()
    data.y = torch.from_numpy(np.digitize(x0, [-1.0, 1.0]).astype(np.int64))  # ~16/68/16 %
    spec = TrainSpec(epochs=1, **CPU, smote={"enabled": True, "chunk_size": 200})
    counts = np.bincount(data.y.numpy()[data.train_ends])
    assert counts.max() > 1.5 * counts.min()
    torch.manual_seed(0)
    result = fit(tiny_models["mlp"](3, 3), data, spec, progress=False)
    assert result.class_weights == pytest.approx((1.0, 1.0, 1.0), abs=0.05)  # balanced by SMOTE
    seq = make_planted(n_rows=600, lookback=4)
    with pytest.raises(ConfigError, match="window length 1"):
        fit(tiny_models["mlp"](3, 3), seq, spec, progress=False)


def test_bad_data_and_config_are_refused(tiny_models, planted_data) -> None:
    model = tiny_models["mlp"](3, 3)
    y = planted_data.y.clone()
    y[planted_data.train_ends[5]] = -1
    bad = TrainingData(planted_data.windows, y, planted_data.train_ends, planted_data.val_ends, 3)
    with pytest.raises(DataError, match=f"row {planted_data.train_ends[5]} has label -1"):
        fit(model, bad, TrainSpec(epochs=1, **CPU), progress=False)
    quotas = TrainSpec(epochs=1, **CPU, sampler={"kind": "class_balanced", "quotas": [0.5, 0.5]},
                       loss={"class_weights": "none"})
    with pytest.raises(ConfigError, match=r"quotas=.* has 2 entries but the labels have 3"):
        fit(model, planted_data, quotas, progress=False)
    short = TrainingData(Windows(planted_data.windows.matrix, 4), planted_data.y,
                         np.array([1, 2]), planted_data.val_ends, 3)
    with pytest.raises(DataError, match="train_ends must lie in"):
        fit(model, short, TrainSpec(epochs=1, **CPU), progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device='cuda'"):
            fit(model, planted_data, TrainSpec(epochs=1, device="cuda"), progress=False)


def test_a_trailing_batch_of_one_row_joins_the_previous_batch() -> None:
    """BatchNorm cannot train on one row: 65 rows at batch 64 must be one batch of 65."""
    from tradewind.models import build, parse_model_spec
    from tradewind.training import TrainingData
    from tradewind.training.trainer import _n_batches

    assert (_n_batches(65, 64), _n_batches(64, 64), _n_batches(66, 64), _n_batches(1, 64)) == (
        1, 1, 2, 1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((65, 4)).astype(np.float32)
    data = TrainingData(windows=Windows(X, 1), y=torch.from_numpy(rng.integers(0, 2, 65)),
                        train_ends=np.arange(65), val_ends=np.array([], dtype=np.int64),
                        n_classes=2)
    model = build(parse_model_spec({"name": "fnn", "batchnorm": True}), 4, 2, verbose=False)
    result = fit(model, data, TrainSpec(epochs=1, batch_size=64, device="cpu"), progress=False)
    assert len(result.history) == 1
