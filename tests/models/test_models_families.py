"""Family-specific behaviour the contract suite cannot see from the outside."""

from __future__ import annotations

import pytest
import torch

from tradewind.models import FNNSpec, GRUSpec, LSTMSpec, TransformerLiteSpec, build


@pytest.mark.parametrize(
    "spec", [LSTMSpec(hidden_size=5, num_layers=2), GRUSpec(hidden_size=5, num_layers=1)]
)
def test_bidirectional_summary_is_each_directions_final_state(spec) -> None:
    """Forward half = forward pass after the last bar; backward half = backward pass after bar 0."""
    torch.manual_seed(0)
    model = build(spec, 3, 2, verbose=False).eval()
    x = torch.randn(2, 8, 3)
    with torch.no_grad():
        _, state = model.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state  # [layers * 2, B, H]
        torch.testing.assert_close(model.summary(x), torch.cat([h_n[-2], h_n[-1]], dim=-1))
        for position in (0, -1):  # and so both halves move with the first and the last bar
            changed = x.clone()
            changed[:, position] += 3.0
            moved = (model.summary(changed) - model.summary(x)).abs()
            assert moved[:, :5].sum() > 1e-4 and moved[:, 5:].sum() > 1e-4


def test_fnn_reads_only_the_last_bar() -> None:
    torch.manual_seed(1)
    model = build(FNNSpec(hidden=[8, 4]), 3, 3, verbose=False).eval()
    x = torch.randn(4, 10, 3)
    older_changed = x.clone()
    older_changed[:, :-1] = torch.randn(4, 9, 3)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(older_changed))
        assert model(x[:, -1:]).shape == (4, 3)  # lookback 1 is enough


@pytest.mark.parametrize("pooling", ["mean", "last", "cls"])
def test_transformer_sees_bar_order_and_any_lookback(pooling: str) -> None:
    torch.manual_seed(2)
    spec = TransformerLiteSpec(
        d_model=8, n_heads=2, n_layers=1, dim_feedforward=16, pooling=pooling
    )
    model = build(spec, 3, 2, verbose=False).eval()
    x = torch.randn(2, 12, 3)
    with torch.no_grad():
        # positional encoding: reversing time changes the output even with mean pooling
        assert not torch.allclose(model(x), model(x.flip(1)), atol=1e-5)
        assert model(torch.randn(2, 50, 3)).shape == (2, 2)
