"""Contract suite: every registered model family goes through the same checks on the CPU."""

from __future__ import annotations

import pytest
import torch

from tradewind.exceptions import ConfigError, SchemaMismatchError
from tradewind.models import MODEL_REGISTRY, build, parse_model_spec

FAMILIES = sorted(MODEL_REGISTRY)
N_FEATURES, N_CLASSES, BATCH, LOOKBACK = 5, 3, 4, 12

# (family, overrides on its tiny spec): the tiny specs plus the switches that change layout.
VARIANTS = [(name, {}) for name in FAMILIES] + [
    ("lstm", {"bidirectional": False, "num_layers": 1}),
    ("gru", {"bidirectional": False}),
    ("bilstm_attention", {"multitask": False}),
    ("transformer_lite", {"pooling": "cls"}),
    ("transformer_lite", {"pooling": "last"}),
    ("fnn", {"batchnorm": False}),
    ("xlstm", {"blocks": ["s", "m", "s"]}),
    ("tcn", {"channels": [5, 5, 5], "kernel_size": 2}),
]


def _ids(variant: tuple[str, dict[str, object]]) -> str:
    name, overrides = variant
    return name + "".join(f"-{k}={v}" for k, v in overrides.items())


def _build(tiny_specs: dict, name: str, overrides: dict | None = None, *, side_dim: int = 0):
    spec = parse_model_spec({**tiny_specs[name], **(overrides or {})})
    return build(spec, N_FEATURES, N_CLASSES, side_dim=side_dim, verbose=False)


def _x(seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, LOOKBACK, N_FEATURES, generator=generator) * scale


def test_every_registered_family_has_a_tiny_spec(tiny_specs: dict) -> None:
    assert set(tiny_specs) == set(MODEL_REGISTRY)
    assert set(FAMILIES) >= {
        "lstm",
        "gru",
        "bilstm_attention",
        "transformer_lite",
        "fnn",
        "xlstm",
        "tcn",
    }


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_forward_backward_reach_every_parameter(tiny_specs: dict, variant) -> None:
    name, overrides = variant
    torch.manual_seed(0)
    model = _build(tiny_specs, name, overrides).train()
    x = _x()
    if model.has_aux_head:
        logits, aux = model.forward_with_aux(x)
        loss = logits.square().sum() + aux.square().sum()
    else:
        logits = model(x)
        loss = logits.square().sum()
    assert logits.shape == (BATCH, N_CLASSES)
    assert torch.isfinite(logits).all()
    loss.backward()
    starved = [
        pname
        for pname, p in model.named_parameters()
        if p.grad is None or not torch.isfinite(p.grad).all() or p.grad.abs().sum() == 0
    ]
    assert not starved, f"{name}: no gradient reaches {starved}"


@pytest.mark.parametrize("name", FAMILIES)
def test_logits_are_not_squashed(tiny_specs: dict, name: str) -> None:
    torch.manual_seed(1)
    model = _build(tiny_specs, name).eval()
    with torch.no_grad():
        logits = model(_x(scale=50.0))
    assert ((logits < 0) | (logits > 1)).any(), f"{name}: every logit inside [0, 1]"
    assert not torch.allclose(logits.sum(dim=1), torch.ones(BATCH), atol=1e-3), (
        f"{name}: rows sum to 1, looks like a softmax inside the model"
    )


@pytest.mark.parametrize("name", FAMILIES)
def test_rows_of_a_batch_are_independent(tiny_specs: dict, name: str) -> None:
    torch.manual_seed(2)
    model = _build(tiny_specs, name).eval()
    x = _x()
    with torch.no_grad():
        full = model(x)
        single = torch.cat([model(x[i : i + 1]) for i in range(BATCH)])
    torch.testing.assert_close(full, single, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", FAMILIES)
def test_side_input_changes_the_output(tiny_specs: dict, name: str) -> None:
    torch.manual_seed(3)
    model = _build(tiny_specs, name, side_dim=3).eval()
    x = _x()
    side_a, side_b = torch.zeros(BATCH, 3), torch.randn(BATCH, 3) * 3
    with torch.no_grad():
        out_a, out_b = model(x, side_a), model(x, side_b)
    assert out_a.shape == (BATCH, N_CLASSES)
    assert not torch.allclose(out_a, out_b), f"{name}: side input ignored"
    with pytest.raises(SchemaMismatchError, match="side"):
        model(x)
    with pytest.raises(SchemaMismatchError, match=r"\[batch, 3\]"):
        model(x, torch.zeros(BATCH, 4))


@pytest.mark.parametrize("name", FAMILIES)
def test_side_input_refused_without_side_dim(tiny_specs: dict, name: str) -> None:
    model = _build(tiny_specs, name)
    with pytest.raises(ConfigError, match="side_dim=0"):
        model(_x(), torch.zeros(BATCH, 2))


@pytest.mark.parametrize("name", FAMILIES)
def test_wrong_input_shape_is_refused(tiny_specs: dict, name: str) -> None:
    model = _build(tiny_specs, name)
    with pytest.raises(SchemaMismatchError, match=f"{N_FEATURES}"):
        model(torch.zeros(BATCH, LOOKBACK, N_FEATURES + 1))
    with pytest.raises(SchemaMismatchError):
        model(torch.zeros(BATCH, N_FEATURES))


@pytest.mark.parametrize("name", FAMILIES)
def test_construction_is_deterministic_under_manual_seed(tiny_specs: dict, name: str) -> None:
    states = []
    for seed in (7, 7, 8):
        torch.manual_seed(seed)
        states.append(_build(tiny_specs, name).state_dict())
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert not all(torch.equal(states[0][k], states[2][k]) for k in states[0])


@pytest.mark.parametrize("name", FAMILIES)
def test_aux_head_flag_matches_forward_with_aux(tiny_specs: dict, name: str) -> None:
    torch.manual_seed(4)
    model = _build(tiny_specs, name).eval()
    x = _x()
    if not model.has_aux_head:
        with pytest.raises(ConfigError, match="no auxiliary head"):
            model.forward_with_aux(x)
        return
    with torch.no_grad():
        logits, aux = model.forward_with_aux(x)
        torch.testing.assert_close(logits, model(x))
    assert logits.shape == (BATCH, N_CLASSES)
    assert aux.shape == (BATCH,)


def test_multitask_switch_controls_the_aux_head(tiny_specs: dict) -> None:
    with_aux = _build(
        tiny_specs, "bilstm_attention", {"multitask": True}, side_dim=2
    )
    without = _build(tiny_specs, "bilstm_attention", {"multitask": False})
    assert with_aux.has_aux_head and not without.has_aux_head
    logits, aux = with_aux.forward_with_aux(_x(), torch.randn(BATCH, 2))
    assert logits.shape == (BATCH, N_CLASSES) and aux.shape == (BATCH,)
    with pytest.raises(ConfigError, match="multitask"):
        without.forward_with_aux(_x())
