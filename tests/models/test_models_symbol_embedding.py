"""The learned symbol embedding: ids from the side input in training, a fixed row in a
bundle, the same weights either way, and gradient reaching the rows of the symbols seen."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from tradewind.dataset.windows import Windows
from tradewind.exceptions import SchemaMismatchError
from tradewind.models import MODEL_REGISTRY, build, parse_model_spec
from tradewind.models.specs import SymbolEmbeddingSpec
from tradewind.models.symbol_embedding import SymbolEmbedding
from tradewind.training import TrainingData, TrainSpec, fit

N_FEATURES, N_CLASSES, BATCH, LOOKBACK = 5, 3, 6, 8
SYMBOLS = ["AAA", "BBB", "CCC"]


def _pair(spec_map: dict, index: int, side_dim: int = 0) -> tuple[SymbolEmbedding, SymbolEmbedding]:
    """A training wrapper (ids from the side input) and the bundle wrapper of ``index``,
    holding the training wrapper's weights."""
    spec = parse_model_spec(spec_map)
    torch.manual_seed(0)
    trained = build(spec, N_FEATURES, N_CLASSES, side_dim=side_dim, verbose=False,
                    symbol_embedding=SymbolEmbeddingSpec(dim=2, symbols=SYMBOLS))
    torch.manual_seed(1)  # other initial weights: the state dict must replace all of them
    served = build(spec, N_FEATURES, N_CLASSES, side_dim=side_dim, verbose=False,
                   symbol_embedding=SymbolEmbeddingSpec(dim=2, symbols=SYMBOLS, index=index))
    served.load_state_dict(trained.state_dict(), strict=True)
    return trained.eval(), served.eval()


def _x(seed: int = 0) -> torch.Tensor:
    return torch.randn(BATCH, LOOKBACK, N_FEATURES, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("family", sorted(MODEL_REGISTRY))
@pytest.mark.parametrize("side_dim", [0, 3])
def test_a_bundle_row_gives_what_training_gives_for_that_symbol(
        tiny_specs: dict, family: str, side_dim: int) -> None:
    x = _x()
    side = torch.randn(BATCH, side_dim) if side_dim else None
    outputs = []
    with torch.no_grad():
        for index in range(len(SYMBOLS)):
            trained, served = _pair(tiny_specs[family], index, side_dim)
            assert isinstance(served.inner, MODEL_REGISTRY[family])  # type: ignore[arg-type]
            assert served.inner.n_features == N_FEATURES + 2
            ids = torch.full((BATCH, 1), float(index))
            with_ids = ids if side is None else torch.cat([side, ids], dim=1)
            want = trained(x, with_ids)
            got = served(x) if side is None else served(x, side)
            torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
            outputs.append(got)
    # the row is the only difference between symbols, and it changes the logits
    assert not torch.allclose(outputs[0], outputs[1])
    assert not torch.allclose(outputs[1], outputs[2])


def test_a_batch_mixing_symbols_uses_each_windows_own_row(tiny_specs: dict) -> None:
    x = _x(3)
    ids = torch.tensor([[0.0], [2.0], [1.0], [0.0], [1.0], [2.0]])
    with torch.no_grad():
        trained, _ = _pair(tiny_specs["gru"], 0)
        mixed = trained(x, ids)
        for index in range(len(SYMBOLS)):
            _, served = _pair(tiny_specs["gru"], index)
            rows = (ids[:, 0] == index).nonzero()[:, 0]
            torch.testing.assert_close(mixed[rows], served(x)[rows], rtol=0, atol=1e-6)


def test_the_auxiliary_head_goes_through_the_embedding(tiny_specs: dict) -> None:
    trained, served = _pair(tiny_specs["bilstm_attention"], 2)  # tiny spec: multitask
    assert trained.has_aux_head and served.has_aux_head
    x = _x(1)
    with torch.no_grad():
        logits, aux = trained.forward_with_aux(x, torch.full((BATCH, 1), 2.0))
        logits_2, aux_2 = served.forward_with_aux(x)
    assert aux.shape == (BATCH,)
    torch.testing.assert_close(logits_2, logits, rtol=0, atol=1e-6)
    torch.testing.assert_close(aux_2, aux, rtol=0, atol=1e-6)


def test_inputs_of_the_wrong_shape_are_refused(tiny_specs: dict) -> None:
    trained, served = _pair(tiny_specs["fnn"], 0)
    with pytest.raises(SchemaMismatchError, match=r"called without side"):
        trained(_x())  # training needs the id column
    with pytest.raises(SchemaMismatchError, match=rf"\[batch, lookback, {N_FEATURES}\]"):
        served(torch.zeros(BATCH, LOOKBACK, N_FEATURES + 2))  # width of the inner model


def test_the_spec_names_a_symbol_and_distinct_symbols() -> None:
    with pytest.raises(ValidationError, match="index 3 names no symbol: there are 3"):
        SymbolEmbeddingSpec(dim=2, symbols=SYMBOLS, index=3)
    with pytest.raises(ValidationError, match="symbols must be distinct"):
        SymbolEmbeddingSpec(dim=2, symbols=["AAA", "AAA"])
    with pytest.raises(ValidationError, match="extra"):
        SymbolEmbeddingSpec.model_validate({"dim": 2, "symbols": SYMBOLS, "size": 3})


def test_training_moves_the_rows_of_the_symbols_it_sees_and_no_other(tiny_specs: dict) -> None:
    """Windows of symbols 0 and 1 only: their rows learn, row 2 gets no gradient."""
    rng = np.random.default_rng(0)
    n = 400
    matrix = rng.standard_normal((n, N_FEATURES)).astype(np.float32)
    series = (np.arange(n) >= n // 2).astype(np.float32)  # rows of symbol 0, then of 1
    y = rng.integers(0, N_CLASSES, n)
    torch.manual_seed(0)
    model = build(parse_model_spec(tiny_specs["lstm"]), N_FEATURES, N_CLASSES, verbose=False,
                  symbol_embedding=SymbolEmbeddingSpec(dim=2, symbols=SYMBOLS))
    before = model.embedding.weight.detach().clone()
    data = TrainingData(
        windows=Windows(matrix, LOOKBACK), y=torch.from_numpy(y),
        train_ends=np.arange(LOOKBACK - 1, n), val_ends=np.zeros(0, dtype=np.int64),
        n_classes=N_CLASSES, side=torch.from_numpy(series).unsqueeze(1),
    )
    spec = TrainSpec(epochs=2, batch_size=64, device="cpu", optimizer="adam", weight_decay=0.0)
    fit(model, data, spec, progress=False)
    after = model.embedding.weight.detach()
    assert not torch.allclose(after[0], before[0])
    assert not torch.allclose(after[1], before[1])
    torch.testing.assert_close(after[2], before[2], rtol=0, atol=0)


def test_integrated_gradients_keep_the_symbol_fixed_along_the_path(tiny_specs: dict) -> None:
    """Scaling the id column would read other symbols' rows; kept fixed, the attributions
    are those of the symbol's own bundle model."""
    from tradewind.evaluation.importance import integrated_gradients

    trained, served = _pair(tiny_specs["gru"], 2)
    x = _x(4)
    ids = torch.full((BATCH, 1), 2.0)
    gx, gs = integrated_gradients(trained, x, side=ids, steps=4, categorical_side=1)
    want, _ = integrated_gradients(served, x, steps=4)
    torch.testing.assert_close(gx, want, rtol=1e-5, atol=1e-6)
    assert gs is not None and torch.all(gs == 0)
    scaled, _ = integrated_gradients(trained, x, side=ids, steps=4)  # the id scaled too
    assert not torch.allclose(scaled, want, atol=1e-6)
