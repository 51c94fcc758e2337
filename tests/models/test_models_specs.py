"""Spec parsing, build argument checks, the registry and the public surface."""

from __future__ import annotations

import pytest
from torch import nn

import tradewind.models as models
from tradewind.exceptions import ConfigError
from tradewind.models import (
    MODEL_REGISTRY,
    FNNSpec,
    LSTMSpec,
    XLSTMSpec,
    build,
    parse_model_spec,
    register_model,
)


@pytest.mark.parametrize("family", sorted(MODEL_REGISTRY))
def test_defaults_parse_and_round_trip(family: str) -> None:
    spec = parse_model_spec({"name": family})
    assert spec.name == family
    assert parse_model_spec(spec.model_dump()) == spec


def test_defaults_are_the_seeds_values() -> None:
    lstm = LSTMSpec()
    assert (lstm.hidden_size, lstm.num_layers, lstm.bidirectional, lstm.dropout) == (
        128,
        3,
        True,
        0.35,
    )
    fnn = FNNSpec()
    assert (fnn.hidden, fnn.dropout, fnn.batchnorm) == ([256, 128, 64], 0.3, True)
    transformer = parse_model_spec({"name": "transformer_lite"})
    assert (transformer.d_model, transformer.n_heads, transformer.n_layers) == (64, 4, 2)


def test_misspelt_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"model\.hiden_size: unknown key"):
        parse_model_spec({"name": "lstm", "hiden_size": 32})


def test_source_prefix_locates_the_key() -> None:
    with pytest.raises(ConfigError, match=r"exp\.yaml: model\.dropout"):
        parse_model_spec({"name": "gru", "dropout": 1.5}, source="exp.yaml: model")


def test_bad_value_names_key_and_value() -> None:
    with pytest.raises(ConfigError, match=r"model\.hidden_size: .*'big'"):
        parse_model_spec({"name": "lstm", "hidden_size": "big"})
    with pytest.raises(ConfigError, match=r"model\.hidden\.1"):
        parse_model_spec({"name": "fnn", "hidden": [8, 0]})
    with pytest.raises(ConfigError, match=r"model\.pooling"):
        parse_model_spec({"name": "transformer_lite", "pooling": "max"})


def test_unknown_or_missing_family_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"model\.name: unknown model family 'lstmm'.*xlstm"):
        parse_model_spec({"name": "lstmm"})
    with pytest.raises(ConfigError, match=r"model\.name: missing.*tcn"):
        parse_model_spec({"hidden_size": 3})
    with pytest.raises(ConfigError, match="mapping"):
        parse_model_spec(["lstm"])  # type: ignore[arg-type]


def test_cross_field_rules_name_the_fields() -> None:
    with pytest.raises(ConfigError, match=r"n_heads=3 must divide d_model=64"):
        parse_model_spec({"name": "transformer_lite", "n_heads": 3})
    with pytest.raises(ConfigError, match=r"n_heads=3 must divide the BiLSTM output width"):
        parse_model_spec({"name": "bilstm_attention", "hidden_size": 4, "n_heads": 3})
    with pytest.raises(ConfigError, match=r"n_heads=3 must divide hidden_size=8"):
        parse_model_spec({"name": "xlstm", "hidden_size": 8, "n_heads": 3})


def test_xlstm_block_pattern_accepts_string_or_list() -> None:
    assert parse_model_spec({"name": "xlstm", "blocks": ["m", "s", "s"]}).blocks == "mss"
    assert XLSTMSpec(blocks="SM").blocks == "sm"
    with pytest.raises(ConfigError, match=r"model\.blocks: .*'m' \(mLSTM\)"):
        parse_model_spec({"name": "xlstm", "blocks": "mx"})
    with pytest.raises(ConfigError, match=r"model\.blocks"):
        parse_model_spec({"name": "xlstm", "blocks": ""})


def test_build_checks_its_arguments() -> None:
    spec = FNNSpec(hidden=[4])
    with pytest.raises(ConfigError, match="parse_model_spec"):
        build({"name": "fnn"}, 3, 2)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="n_classes must be >= 2, got 1"):
        build(spec, 3, 1, verbose=False)
    with pytest.raises(ConfigError, match="n_features must be >= 1, got 0"):
        build(spec, 0, 2, verbose=False)
    with pytest.raises(ConfigError, match="side_dim must be >= 0"):
        build(spec, 3, 2, side_dim=-1, verbose=False)


def test_register_model_refuses_a_second_family_under_one_name() -> None:
    with pytest.raises(ConfigError, match="registered twice"):

        @register_model("fnn")
        class Impostor(nn.Module):
            pass

    assert MODEL_REGISTRY["fnn"] is models.FNNClassifier


def test_public_surface() -> None:
    expected = {
        "MODEL_REGISTRY",
        "BiLSTMAttentionClassifier",
        "BiLSTMAttentionSpec",
        "FNNClassifier",
        "FNNSpec",
        "GRUClassifier",
        "GRUSpec",
        "LSTMClassifier",
        "LSTMSpec",
        "MLSTMCell",
        "ModelSpec",
        "SLSTMCell",
        "SequenceClassifier",
        "TCNClassifier",
        "TCNSpec",
        "TransformerLiteClassifier",
        "TransformerLiteSpec",
        "XLSTMClassifier",
        "XLSTMSpec",
        "build",
        "count_parameters",
        "parse_model_spec",
        "register_model",
    }
    assert len(models.__all__) == len(set(models.__all__))
    assert set(models.__all__) == expected
    assert all(hasattr(models, name) for name in models.__all__)
