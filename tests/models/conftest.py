"""Tiny specs for every model family, so the contract suite runs on the CPU in seconds."""

from __future__ import annotations

import pytest

TINY_SPECS: dict[str, dict[str, object]] = {
    "lstm": {"name": "lstm", "hidden_size": 6, "num_layers": 2, "head_hidden": 5},
    "gru": {"name": "gru", "hidden_size": 6, "num_layers": 2, "head_hidden": 5},
    "bilstm_attention": {
        "name": "bilstm_attention",
        "hidden_size": 4,
        "num_layers": 1,
        "n_heads": 2,
        "multitask": True,
    },
    "transformer_lite": {
        "name": "transformer_lite",
        "d_model": 8,
        "n_heads": 2,
        "n_layers": 1,
        "dim_feedforward": 16,
    },
    "fnn": {"name": "fnn", "hidden": [8, 6]},
    "xlstm": {"name": "xlstm", "blocks": "ms", "hidden_size": 8, "n_heads": 2},
    "tcn": {"name": "tcn", "channels": [6, 8], "kernel_size": 3},
}


@pytest.fixture
def tiny_specs() -> dict[str, dict[str, object]]:
    """Family name -> a tiny spec mapping (fresh copy per test)."""
    return {name: dict(spec) for name, spec in TINY_SPECS.items()}
