"""LabelSpec / ExitSpec / AdaptiveThreshold validation and class names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tradewind.labels import AdaptiveThreshold, ExitSpec, LabelSpec, class_names


def test_defaults():
    spec = LabelSpec()
    assert (spec.kind, spec.horizon, spec.threshold, spec.adaptive, spec.exits) == (
        "direction", 1, 0.0, None, None,
    )
    assert AdaptiveThreshold() == AdaptiveThreshold(multiplier=1.2, window=100, floor=0.003)
    exits = ExitSpec(take_profit=2, stop_loss=1)
    assert (exits.unit, exits.atr_period, exits.max_holding) == ("atr", 14, None)


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("direction", ("DOWN", "UP")),
        ("ternary", ("SELL", "HOLD", "BUY")),
        ("triple_barrier", ("SELL", "HOLD", "BUY")),
        ("forward_return", ()),
    ],
)
def test_class_names(kind, names):
    exits = ExitSpec(take_profit=1, stop_loss=1) if kind == "triple_barrier" else None
    assert class_names(LabelSpec(kind=kind, exits=exits)) == names


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "triple_barrier"}, "exits"),
        ({"kind": "direction", "exits": {"take_profit": 1, "stop_loss": 1}}, "exits"),
        ({"kind": "direction", "threshold": 0.01}, "threshold"),
        ({"kind": "direction", "adaptive": {}}, "adaptive"),
        ({"kind": "ternary", "threshold": 0.01, "adaptive": {}}, "threshold"),
        (
            {"kind": "triple_barrier", "horizon": 5,
             "exits": {"take_profit": 1, "stop_loss": 1, "max_holding": 6}},
            "exits.max_holding",
        ),
        ({"horizon": 0}, "horizon"),
        ({"threshold": -0.1, "kind": "ternary"}, "threshold"),
        ({"kind": "up_or_down"}, "kind"),
        ({"horizn": 3}, "horizn"),
    ],
)
def test_invalid_specs_name_the_field(raw, field):
    with pytest.raises(ValidationError) as info:
        LabelSpec.model_validate(raw)
    assert field in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        {"take_profit": 0, "stop_loss": 1},
        {"take_profit": 1, "stop_loss": -1},
        {"take_profit": 1, "stop_loss": 1, "unit": "points"},
        {"take_profit": 1, "stop_loss": 1, "max_holding": 0},
        {"take_profit": 1, "stop_loss": 1, "trailing": True},
    ],
)
def test_invalid_exit_specs(raw):
    with pytest.raises(ValidationError):
        ExitSpec.model_validate(raw)


def test_seed_001_thresholds_are_expressible():
    spec = LabelSpec.model_validate(
        {"kind": "ternary", "horizon": 15,
         "adaptive": {"multiplier": 1.2, "floor": 0.003, "window": 100}}
    )
    assert spec.adaptive is not None and spec.adaptive.floor == 0.003
    assert LabelSpec(kind="ternary", threshold=0.010).threshold == 0.010


def test_spec_round_trips_through_json():
    spec = LabelSpec(kind="triple_barrier", horizon=10,
                     exits=ExitSpec(take_profit=2, stop_loss=1, unit="pct", max_holding=8))
    assert LabelSpec.model_validate_json(spec.model_dump_json()) == spec
