"""sLSTM and mLSTM cells (Beck et al., 2024, "xLSTM: Extended Long Short-Term Memory").

Both cells use exponential input gates, sigmoid forget gates taken in log space
(log f = logsigmoid(f~)), and a stabiliser state m_t so that exp() never overflows:

    m_t  = max(log f_t + m_{t-1}, i~_t)          (m_1 = i~_1: empty initial state)
    i'_t = exp(i~_t - m_t)                      f'_t = exp(log f_t + m_{t-1} - m_t)

Every stabilised state equals the paper's state times exp(-m_t), so the outputs are the
paper's outputs exactly; the tests compare against the unstabilised recurrences.

sLSTM (scalar memory, recurrent through h; heads = block-diagonal recurrent weights)::

    (i~, f~, z~, o~) = W x_t + R h_{t-1} + b
    c_t = f'_t c_{t-1} + i'_t tanh(z~)      n_t = f'_t n_{t-1} + i'_t
    h_t = sigmoid(o~) * c_t / n_t

mLSTM (matrix memory C_t of d x d per head, no recurrence through h), per head::

    q, k, v = W_q x, W_k x / sqrt(d), W_v x;  i~, f~ scalars;  o = sigmoid(W_o x)
    C_t = f'_t C_{t-1} + i'_t v_t k_t^T     n_t = f'_t n_{t-1} + i'_t k_t
    h_t = o * C_t q_t / max(|n_t^T q_t|, exp(-m_t))      (= max(|.|, 1) unstabilised)

The mLSTM is evaluated in its parallel form (one masked [L, L] gate matrix per head,
O(L^2) memory), which has no Python loop and exports to ONNX for any lookback. The sLSTM
needs a loop over time steps; ``torch.onnx.export`` unrolls it, so an exported sLSTM
graph has the lookback fixed at export time (a bundle's lookback is fixed anyway).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["MLSTMCell", "SLSTMCell"]


def _check_heads(hidden_size: int, n_heads: int) -> int:
    if hidden_size % n_heads != 0:
        raise ValueError(f"n_heads={n_heads} must divide hidden_size={hidden_size}")
    return hidden_size // n_heads


class SLSTMCell(nn.Module):
    """sLSTM layer over a sequence: x [B, L, input_size] -> h [B, L, hidden_size].

    Layout (what the reference test reads): ``input_weights`` is Linear(input, 4H) with
    rows in gate order i, f, z, o (H rows each, unit j = head * d + e); the recurrent
    weight ``recurrent_weights[head]`` is [d, 4d] mapping that head's h slice to its own
    units, columns in gate order i, f, z, o (d each). Forget-gate biases start in
    [3, 6] so early training remembers; input-gate biases start at 0.
    """

    def __init__(self, input_size: int, hidden_size: int, n_heads: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.n_heads = n_heads
        self.head_dim = _check_heads(hidden_size, n_heads)
        self.input_weights = nn.Linear(input_size, 4 * hidden_size)
        self.recurrent_weights = nn.Parameter(
            torch.empty(n_heads, self.head_dim, 4 * self.head_dim)
        )
        bound = 1.0 / math.sqrt(self.head_dim)
        nn.init.uniform_(self.recurrent_weights, -bound, bound)
        with torch.no_grad():
            bias = self.input_weights.bias.view(4, hidden_size)
            bias[0].zero_()
            bias[1].copy_(torch.linspace(3.0, 6.0, hidden_size))

    def _recurrent(self, h: Tensor) -> Tensor:
        """R h for h [B, H] -> [B, 4, H] in gate-major layout."""
        batch = h.shape[0]
        ry = torch.matmul(h.view(batch, self.n_heads, 1, self.head_dim), self.recurrent_weights)
        ry = ry.view(batch, self.n_heads, 4, self.head_dim).transpose(1, 2)
        return ry.reshape(batch, 4, self.hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        batch, length, _ = x.shape
        wx = self.input_weights(x).view(batch, length, 4, self.hidden_size)
        h = x.new_zeros(batch, self.hidden_size)
        c = n = m = h
        outputs = []
        for t in range(length):
            i_raw, f_raw, z_raw, o_raw = (wx[:, t] + self._recurrent(h)).unbind(1)
            if t == 0:  # empty state: m_1 = i~_1, so i'_1 = 1 and c, n start from it alone
                m = i_raw
                c = torch.tanh(z_raw)
                n = torch.ones_like(i_raw)
            else:
                log_f = F.logsigmoid(f_raw)
                m_new = torch.maximum(log_f + m, i_raw)
                i_gate = torch.exp(i_raw - m_new)
                f_gate = torch.exp(log_f + m - m_new)
                c = f_gate * c + i_gate * torch.tanh(z_raw)
                n = f_gate * n + i_gate
                m = m_new
            h = torch.sigmoid(o_raw) * c / n
            outputs.append(h)
        return torch.stack(outputs, dim=1)


class MLSTMCell(nn.Module):
    """mLSTM layer (parallel form): x [B, L, input_size] -> h [B, L, hidden_size].

    Layout: ``qkv`` is Linear(input, 3H) with rows q, k, v (H each, unit = head * d + e);
    ``gates`` is Linear(input, 2 * n_heads) with rows i~ (one per head) then f~;
    ``out_gate`` is Linear(input, H). Forget-gate biases start in [3, 6].
    """

    def __init__(self, input_size: int, hidden_size: int, n_heads: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.n_heads = n_heads
        self.head_dim = _check_heads(hidden_size, n_heads)
        self.qkv = nn.Linear(input_size, 3 * hidden_size)
        self.gates = nn.Linear(input_size, 2 * n_heads)
        self.out_gate = nn.Linear(input_size, hidden_size)
        with torch.no_grad():
            self.gates.bias[:n_heads].zero_()
            self.gates.bias[n_heads:].copy_(torch.linspace(3.0, 6.0, n_heads))

    def forward(self, x: Tensor) -> Tensor:
        batch, length, _ = x.shape
        qkv = self.qkv(x).view(batch, length, 3, self.n_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [B, NH, L, d]
        k = k / math.sqrt(self.head_dim)
        i_raw, f_raw = (
            self.gates(x).view(batch, length, 2, self.n_heads).permute(2, 0, 3, 1).unbind(0)
        )
        log_f = torch.cumsum(F.logsigmoid(f_raw), dim=-1)  # [B, NH, L]: sum_{r<=t} log f_r
        # log_d[t, s] = sum_{r=s+1..t} log f_r + i~_s for s <= t (weight of step s in C_t)
        log_d = log_f.unsqueeze(-1) - log_f.unsqueeze(-2) + i_raw.unsqueeze(-2)
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).tril()
        log_d = log_d.masked_fill(~causal, float("-inf"))
        m = log_d.amax(dim=-1, keepdim=True)  # stabiliser m_t [B, NH, L, 1]
        scores = torch.matmul(q, k.transpose(-1, -2)) * torch.exp(log_d - m)
        normaliser = torch.maximum(scores.sum(dim=-1, keepdim=True).abs(), torch.exp(-m))
        h = torch.matmul(scores / normaliser, v)  # [B, NH, L, d]
        h = h.transpose(1, 2).reshape(batch, length, self.hidden_size)
        return torch.sigmoid(self.out_gate(x)) * h
