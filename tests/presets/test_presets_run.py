"""The five seed presets: valid at full settings, and each runs end to end when shrunk.

The end-to-end runs use the real candles the presets name (``../shared/data``), cut to
3,700-6,000 bars, two folds, two epochs and narrower networks, so the whole file stays
well inside the test budget. They check that each preset's seed-specific gate checks
reach the report's gate table next to tradewind's default ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tradewind.config import Experiment, load_experiment
from tradewind.evaluation import GateSpec
from tradewind.pipeline.experiment import run_experiment

REPO = Path(__file__).resolve().parents[2]
PRESETS = REPO / "presets"
SHARED_DATA = REPO.parent / "shared" / "data"

# Checks tradewind's default GateSpec always adds (see evaluate_gate).
DEFAULT_CHECKS = {
    "oos_rows", "finite_outputs", "input_scale", "mcc_ci_low", "beats_majority",
    "beats_persistence", "not_worse_than_learned", "ece", "overconfidence", "max_abs_logit",
    "class_share_ratio", "sharpe_ci_low", "min_trades",
}

# Preset -> (model name, class names, seed-specific gate check names, shrinking overrides).
CASES: dict[str, tuple[str, tuple[str, ...], set[str], dict[str, Any]]] = {
    "goldenbreeze_v4_lite": (
        "transformer_lite", ("DOWN", "UP"), set(),
        {"model.d_model": 16, "teacher.model.hidden_size": 16, "teacher.training.epochs": 2,
         "data.start": "2016-01-01"},
    ),
    "xlstm_v3": (
        "xlstm", ("SELL", "HOLD", "BUY"), set(),
        {"model.hidden_size": 16, "data.end": "2018-01-22 23:55"},
    ),
    "bilstm_attention_v2": (
        "bilstm_attention", ("DOWN", "UP"), set(),
        {"model.hidden_size": 16, "model.num_layers": 1, "training.schedule.warmup_epochs": 1,
         "data.end": "2018-01-22 23:55"},
    ),
    "crpbot_lstm": (
        "lstm", ("DOWN", "UP"), {"min_accuracy", "calibration_error"},
        {"model.hidden_size": 16, "model.num_layers": 1, "model.head_hidden": 16,
         "training.batch_size": 256, "data.start": "2023-03-01 00:00",
         "data.end": "2023-03-05 03:59"},
    ),
    "crpbot_universe": (  # three symbols, both modes: two days of each
        "lstm", ("DOWN", "UP"), {"min_accuracy", "calibration_error"},
        {"model.hidden_size": 8, "model.num_layers": 1, "model.head_hidden": 8,
         "model.bidirectional": False, "lookback": 30, "training.batch_size": 256,
         "training.epochs": 1, "data.start": "2023-03-01 00:00", "data.end": "2023-03-02 23:59",
         "importance.enabled": False},
    ),
    "crpbot_fnn_v7": (
        "fnn", ("SELL", "HOLD", "BUY"),
        {"class_share_bounds", "calibration_error", "min_accuracy"},
        {"training.batch_size": 256, "data.start": "2023-03-01 00:00",
         "data.end": "2023-03-05 03:59"},
    ),
}

SHRINK: dict[str, Any] = {
    "training.epochs": 2,
    "training.device": "cpu",
    "bootstrap.n_boot": 200,
    "split.n_folds": 2,
    "registry.enabled": False,
    "baselines.lags": [1],  # narrower baseline inputs: the logistic fit dominated the time
}


def _preset(name: str) -> Path:
    return PRESETS / f"{name}.yaml"


def test_every_preset_file_is_covered() -> None:
    assert sorted(p.stem for p in PRESETS.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_preset_validates_at_full_settings(name: str) -> None:
    exp = load_experiment(_preset(name))
    model_name, _, seed_checks, _ = CASES[name]
    assert isinstance(exp, Experiment)
    assert exp.model.name == model_name
    assert exp.registry.enabled, "presets keep the default registry"
    for item in exp.data.series():
        assert item.source.startswith("../shared/data/")
        assert (REPO / item.source).name == Path(item.source).name
    default_gate = GateSpec()
    for field in ("min_mcc_lower", "beat_baselines", "not_worse_than_learned", "max_ece",
                  "class_share_ratio", "min_oos_rows", "require_input_scale_ok",
                  "min_sharpe_lower"):
        assert getattr(exp.gate, field) == getattr(default_gate, field), field
    if "min_accuracy" in seed_checks:
        assert exp.gate.min_accuracy == 0.68
    if "calibration_error" in seed_checks:
        assert exp.gate.max_calibration_error == 0.05


def test_seed_settings_reach_the_validated_config() -> None:
    gb = load_experiment(_preset("goldenbreeze_v4_lite"))
    assert gb.model.name == "transformer_lite"
    assert (gb.model.d_model, gb.model.n_heads, gb.model.n_layers) == (64, 4, 2)
    assert gb.features.sets == ["core15"] and gb.features.side_sets == ["strategy", "smc"]
    assert gb.teacher is not None and gb.teacher.model.name == "lstm" and not gb.teacher.use_side
    assert gb.training.distillation is not None
    assert (gb.training.distillation.alpha, gb.training.distillation.temperature) == (0.8, 1.0)
    assert (gb.training.optimizer, gb.training.lr) == ("adam", 0.0002)
    assert gb.training.sampler.kind == "weighted"
    assert gb.training.early_stopping.monitor == "val_mcc"
    assert gb.labels.kind == "direction"

    xl = load_experiment(_preset("xlstm_v3"))
    assert xl.lookback == 60 and xl.labels.kind == "ternary" and xl.labels.adaptive is not None
    assert xl.training.sampler.kind == "class_balanced"
    assert xl.training.loss.kind == "focal" and isinstance(xl.training.loss.focal_gamma, list)
    assert isinstance(xl.training.loss.label_smoothing, list)
    assert xl.training.loss.entropy_penalty > 0 and xl.training.loss.entropy_classes == [2]
    assert xl.training.hard_negatives.enabled and xl.training.reweighting.enabled
    assert xl.training.tta == ["identity", "zscore", "smooth"]
    assert xl.calibration.method == "temperature"

    bi = load_experiment(_preset("bilstm_attention_v2"))
    assert bi.export.format == "onnx"
    assert bi.model.name == "bilstm_attention" and bi.model.multitask and bi.model.n_heads == 4
    assert bi.training.grad_clip == 1.0 and bi.training.loss.class_weights == "balanced"
    assert bi.training.schedule.kind == "warmup_cosine"
    assert bi.training.schedule.warmup_epochs == 10

    lstm = load_experiment(_preset("crpbot_lstm"))
    assert lstm.model.name == "lstm"
    assert (lstm.model.hidden_size, lstm.model.num_layers, lstm.model.dropout) == (128, 3, 0.35)
    assert lstm.training.loss.kind == "bce" and lstm.training.loss.pos_weight == "auto"
    sched = lstm.training.schedule
    assert (sched.kind, sched.t0, sched.t_mult) == ("cosine_restarts", 10, 2)
    assert lstm.training.early_stopping.patience == 7
    assert (lstm.lookback, lstm.labels.horizon) == (60, 15)
    assert lstm.data.source.endswith("_1m.parquet")

    fnn = load_experiment(_preset("crpbot_fnn_v7"))
    assert fnn.model.name == "fnn" and fnn.model.hidden == [256, 128, 64]
    assert fnn.model.batchnorm and fnn.model.dropout == 0.3
    loss = fnn.training.loss
    assert (loss.kind, loss.focal_alpha, loss.focal_gamma, loss.label_smoothing) == (
        "focal", 0.25, 2.0, 0.05)
    assert fnn.gate.max_abs_logit == 20.0 and fnn.gate.max_overconfident_share == 0.10
    assert fnn.gate.class_share_bounds == {"SELL": (0.40, 0.60), "BUY": (0.40, 0.60)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_preset_runs_end_to_end_shrunk(name: str, tmp_path: Path) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} (…/shared/data) not present: real-candle test skipped")
    _, classes, seed_checks, extra = CASES[name]
    full = load_experiment(_preset(name))
    local = [item.model_copy(update={"source": str(SHARED_DATA / Path(item.source).name)})
             for item in full.data.series()]
    for item in local:
        if not Path(item.source).is_file():
            pytest.skip(f"{item.source} not present: real-candle test skipped")
    data = ({"data.sources": [item.model_dump() for item in local]} if full.data.sources
            else {"data.source": local[0].source})
    exp = load_experiment(_preset(name), {**SHRINK, **extra, **data})

    result = run_experiment(exp, out_dir=tmp_path, progress=False)

    assert result.report_json.is_file()
    report = json.loads(result.report_json.read_text(encoding="utf-8"))
    names = [c["name"] for c in report["gate"]["checks"]]
    assert set(names) >= DEFAULT_CHECKS, sorted(DEFAULT_CHECKS - set(names))
    assert set(names) >= seed_checks, sorted(seed_checks - set(names))
    assert len(names) == len(DEFAULT_CHECKS) + len(seed_checks)
    assert report["gate"]["passed"] == all(c["passed"] for c in report["gate"]["checks"])
    assert result.gate_passed == report["gate"]["passed"]
    assert tuple(report["oos"]["classes"]) == classes
    if exp.export.format == "onnx":  # seed 002: ONNX + scalers.json at the end of the run
        export = report["export"]
        assert {"model.onnx", "scalers.json", "manifest.json"} <= set(export["files"])
        assert export["onnx_max_abs_diff"] <= 1e-5
        assert (tmp_path / "export" / "model.onnx").is_file()
    if exp.teacher is not None:  # seed 000: teacher and student side by side, paired interval
        d = report["distillation"]
        assert d["teacher_model"] == exp.teacher.model.name
        assert len(d["teacher_fold_mcc"]) == len(d["student_fold_mcc"]) == 2
        assert d["reading"] in {"student better", "teacher better", "no clear difference"}
    if full.data.sources:  # a universe: a verdict per symbol, and the modes compared
        universe = report["universe"]
        assert list(universe["symbols"]) == [item.name for item in full.data.sources]
        for section in universe["symbols"].values():
            assert {c["name"] for c in section["gate"]["checks"]} >= seed_checks
        assert universe["comparison"]["primary"] == full.universe.mode


def test_the_universe_preset_is_crpbot_lstm_over_three_symbols() -> None:
    single, universe = load_experiment(_preset("crpbot_lstm")), load_experiment(
        _preset("crpbot_universe"))
    keep = {"name", "data", "universe"}
    assert universe.model_dump(exclude=keep) == single.model_dump(exclude=keep)
    assert [Path(item.source).name for item in universe.data.sources] == [
        f"binanceus_BTC-{quote}_1m.parquet" for quote in ("USD", "USDT", "USDC")]
    assert universe.universe.mode == "per_symbol" and universe.universe.compare_modes
