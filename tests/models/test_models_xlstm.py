"""xLSTM cells against naive step-by-step loops of the paper's (unstabilised) equations.

The references below read the cells' weights but recompute everything one time step
and one head at a time in float64, with plain exp() gates and no stabiliser state: the
stabilised cells must agree with them to 1e-5.
"""

from __future__ import annotations

import math

import pytest
import torch

from tradewind.models import MLSTMCell, SLSTMCell, XLSTMSpec, build
from tradewind.models.xlstm import MLSTMBlock, SLSTMBlock


def naive_slstm(cell: SLSTMCell, x: torch.Tensor) -> torch.Tensor:
    """h_t from c_t = f c + exp(i~) tanh(z~), n_t = f n + exp(i~), h = sigmoid(o~) c / n."""
    x = x.double()
    w = cell.input_weights.weight.double()  # [4H, In], rows: gates i, f, z, o
    b = cell.input_weights.bias.double()
    r = cell.recurrent_weights.double()  # [NH, d, 4d]
    big_h, d, heads = cell.hidden_size, cell.head_dim, cell.n_heads
    batch, length, _ = x.shape
    out = torch.zeros(batch, length, big_h, dtype=torch.float64)
    for row in range(batch):
        h = torch.zeros(big_h, dtype=torch.float64)
        c = torch.zeros(big_h, dtype=torch.float64)
        n = torch.zeros(big_h, dtype=torch.float64)
        for t in range(length):
            pre = (w @ x[row, t] + b).view(4, big_h).clone()
            for head in range(heads):
                units = slice(head * d, (head + 1) * d)
                recurrent = h[units] @ r[head]  # [4d]: this head's own units only
                for gate in range(4):
                    pre[gate, units] += recurrent[gate * d : (gate + 1) * d]
            i_gate, f_gate = torch.exp(pre[0]), torch.sigmoid(pre[1])
            z, o = torch.tanh(pre[2]), torch.sigmoid(pre[3])
            c = f_gate * c + i_gate * z
            n = f_gate * n + i_gate
            h = o * c / n
            out[row, t] = h
    return out


def naive_mlstm(cell: MLSTMCell, x: torch.Tensor) -> torch.Tensor:
    """Recurrent mLSTM: C_t = f C + exp(i~) v k^T, n_t = f n + exp(i~) k, h = o * C q / max(|n.q|, 1)."""
    x = x.double()
    wqkv, bqkv = cell.qkv.weight.double(), cell.qkv.bias.double()
    wg, bg = cell.gates.weight.double(), cell.gates.bias.double()
    wo, bo = cell.out_gate.weight.double(), cell.out_gate.bias.double()
    big_h, d, heads = cell.hidden_size, cell.head_dim, cell.n_heads
    batch, length, _ = x.shape
    out = torch.zeros(batch, length, big_h, dtype=torch.float64)
    for row in range(batch):
        memory = torch.zeros(heads, d, d, dtype=torch.float64)
        normaliser = torch.zeros(heads, d, dtype=torch.float64)
        for t in range(length):
            q_all, k_all, v_all = (wqkv @ x[row, t] + bqkv).view(3, big_h)
            gates = wg @ x[row, t] + bg
            o = torch.sigmoid(wo @ x[row, t] + bo)
            for head in range(heads):
                units = slice(head * d, (head + 1) * d)
                q, k, v = q_all[units], k_all[units] / math.sqrt(d), v_all[units]
                i_gate, f_gate = torch.exp(gates[head]), torch.sigmoid(gates[heads + head])
                memory[head] = f_gate * memory[head] + i_gate * torch.outer(v, k)
                normaliser[head] = f_gate * normaliser[head] + i_gate * k
                denominator = torch.clamp(torch.abs(normaliser[head] @ q), min=1.0)
                out[row, t, units] = o[units] * (memory[head] @ q) / denominator
    return out


@pytest.mark.parametrize("heads", [1, 2])
def test_slstm_matches_naive_loop(heads: int) -> None:
    torch.manual_seed(0)
    cell = SLSTMCell(input_size=3, hidden_size=4, n_heads=heads)
    with torch.no_grad():  # spread the gates so the stabiliser has work to do
        cell.input_weights.bias.normal_(0.0, 2.0)
    x = torch.randn(2, 9, 3)
    with torch.no_grad():
        torch.testing.assert_close(cell(x).double(), naive_slstm(cell, x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("heads", [1, 2])
def test_mlstm_parallel_form_matches_naive_loop(heads: int) -> None:
    torch.manual_seed(1)
    cell = MLSTMCell(input_size=3, hidden_size=4, n_heads=heads)
    with torch.no_grad():
        cell.gates.bias.normal_(0.0, 2.0)
    x = torch.randn(2, 9, 3)
    with torch.no_grad():
        torch.testing.assert_close(cell(x).double(), naive_mlstm(cell, x), atol=1e-5, rtol=1e-5)


def test_stabiliser_keeps_huge_input_gates_finite() -> None:
    """exp(150) overflows float32; the stabilised cells must still equal the float64 reference."""
    torch.manual_seed(2)
    slstm = SLSTMCell(input_size=3, hidden_size=4, n_heads=2)
    mlstm = MLSTMCell(input_size=3, hidden_size=4, n_heads=2)
    with torch.no_grad():
        slstm.input_weights.bias[:4].fill_(150.0)  # input-gate pre-activations
        mlstm.gates.bias[:2].fill_(150.0)
    x = torch.randn(2, 7, 3)
    assert torch.isinf(torch.exp(torch.tensor(150.0)))
    with torch.no_grad():
        s_out, m_out = slstm(x), mlstm(x)
    assert torch.isfinite(s_out).all() and torch.isfinite(m_out).all()
    for cell, out, naive in ((slstm, s_out, naive_slstm), (mlstm, m_out, naive_mlstm)):
        reference = naive(cell, x)
        # float32 spacing near 150 is ~1.5e-5, so exp(150.x - m) carries ~1e-5 relative error
        torch.testing.assert_close(out.double(), reference, atol=1e-4, rtol=1e-4)
        with torch.no_grad():  # the stabiliser itself is exact: in float64 it is rounding-level
            torch.testing.assert_close(cell.double()(x.double()), reference, atol=1e-10, rtol=1e-10)


def test_cells_backpropagate_through_time() -> None:
    torch.manual_seed(3)
    for cell in (SLSTMCell(3, 4, 2), MLSTMCell(3, 4, 2)):
        x = torch.randn(2, 6, 3, requires_grad=True)
        cell(x)[:, -1].sum().backward()
        assert x.grad is not None and x.grad[:, 0].abs().sum() > 0  # last step sees the first


def test_xlstm_blocks_follow_the_pattern_and_are_causal() -> None:
    torch.manual_seed(4)
    spec = XLSTMSpec(blocks=["s", "m", "m"], hidden_size=8, n_heads=2, dropout=0.0)
    model = build(spec, 3, 2, verbose=False).eval()
    assert [type(block) for block in model.blocks] == [SLSTMBlock, MLSTMBlock, MLSTMBlock]
    x = torch.randn(2, 10, 3)
    t = 4
    changed = x.clone()
    changed[:, t + 1 :] = torch.randn(2, 10 - t - 1, 3) * 5
    with torch.no_grad():
        before, after = model.sequence_features(x), model.sequence_features(changed)
    torch.testing.assert_close(before[:, : t + 1], after[:, : t + 1], atol=1e-6, rtol=0)
    assert not torch.allclose(before[:, t + 1 :], after[:, t + 1 :])
