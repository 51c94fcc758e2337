"""TrainSpec validators name the field and the value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tradewind.training import LossSpec, SamplerSpec, TrainSpec


def test_defaults_are_balanced_and_valid() -> None:
    spec = TrainSpec()
    assert spec.loss.class_weights == "balanced"
    assert spec.early_stopping.monitor == "val_mcc"
    assert spec.schedule.kind == "warmup_cosine"
    assert TrainSpec.model_validate(spec.model_dump()) == spec


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"sampler": {"kind": "class_balanced", "quotas": [0.3, 0.3, 0.3]}}, "sum to 1"),
        ({"sampler": {"kind": "shuffle", "quotas": [0.5, 0.5]}}, "only apply to kind='class_b"),
        ({"sampler": {"kind": "weighted"}}, "correct the imbalance twice"),
        ({"loss": {"pos_weight": 2.0}}, "only applies to kind='bce'"),
        ({"loss": {"kind": "bce", "pos_weight": "auto"}}, "correct the imbalance twice"),
        ({"loss": {"kind": "focal", "focal_alpha": 0.25}}, "replaces class_weights"),
        ({"loss": {"label_smoothing": [0.1, 1.2]}}, r"label_smoothing\[1\] must lie in"),
        ({"loss": {"focal_gamma": -1.0}}, "focal_gamma must lie in"),
        ({"learning_rate": 0.1}, "learning_rate"),
        ({"tta": ["flip"]}, "flip"),
    ],
)
def test_invalid_specs_name_field_and_value(payload: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        TrainSpec.model_validate(payload)


def test_valid_remedy_combinations() -> None:
    spec = TrainSpec.model_validate({
        "sampler": {"kind": "class_balanced", "quotas": [0.3, 0.3, 0.4]},
        "loss": {"kind": "focal", "class_weights": "none", "focal_alpha": [1, 1, 0.5],
                 "focal_gamma": [1.0, 1.0, 3.0], "label_smoothing": [0.0, 0.0, 0.1],
                 "entropy_penalty": 0.1, "entropy_classes": [2]},
        "reweighting": {"enabled": True},
        "hard_negatives": {"enabled": True, "classes": [0, 1]},
        "distillation": {"alpha": 0.8, "temperature": 1.0},
        "tta": ["identity", "zscore", "smooth"],
    })
    assert spec.sampler.quotas == [0.3, 0.3, 0.4]
    assert isinstance(spec.loss, LossSpec) and isinstance(spec.sampler, SamplerSpec)
