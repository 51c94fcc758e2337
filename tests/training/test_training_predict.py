"""predict_logits and test-time augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tradewind.dataset.windows import Windows
from tradewind.exceptions import ConfigError
from tradewind.training import gaussian_smooth, predict_logits, tta_log_probs, window_zscore


@pytest.fixture
def setup(tiny_models):
    rng = np.random.default_rng(0)
    windows = Windows(rng.standard_normal((300, 3)).astype(np.float32), 6)
    torch.manual_seed(0)
    model = tiny_models["gru"](3, 3)
    ends = windows.valid_ends()[::2]
    return model, windows, ends


def test_plain_predict_is_eval_mode_logits_and_restores_mode(setup) -> None:
    model, windows, ends = setup
    model.train()
    out = predict_logits(model, windows, ends, batch_size=17)
    assert out.shape == (len(ends), 3) and out.dtype == np.float32
    assert model.training
    model.eval()
    with torch.no_grad():
        want = model(windows.gather(ends)).numpy()
    np.testing.assert_allclose(out, want, atol=1e-5)
    np.testing.assert_allclose(predict_logits(model, windows, ends, batch_size=4096), out,
                               atol=1e-5)


def test_identity_only_tta_equals_log_softmax(setup) -> None:
    model, windows, ends = setup
    raw = torch.from_numpy(predict_logits(model, windows, ends))
    identity = predict_logits(model, windows, ends, tta=["identity"])
    np.testing.assert_allclose(identity, F.log_softmax(raw, dim=-1).numpy(), atol=1e-6)


def test_tta_averages_probabilities_and_returns_their_log(setup) -> None:
    model, windows, ends = setup
    out = predict_logits(model, windows, ends, tta=("identity", "zscore", "smooth"))
    assert out.shape == (len(ends), 3)
    probs = np.exp(out)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    model.eval()
    with torch.no_grad():
        x = windows.gather(ends)
        want = torch.stack([
            torch.softmax(model(t), dim=-1) for t in (x, window_zscore(x), gaussian_smooth(x))
        ]).mean(0)
    np.testing.assert_allclose(probs, want.numpy(), atol=1e-5)
    # the log of the average is a logit vector: softmax gives the average back
    np.testing.assert_allclose(torch.softmax(torch.from_numpy(out), -1).numpy(), want.numpy(),
                               atol=1e-5)


def test_transforms_see_only_their_window() -> None:
    x = torch.randn(4, 10, 3)
    z = window_zscore(x)
    assert torch.allclose(z.mean(dim=(1, 2)), torch.zeros(4), atol=1e-5)
    assert torch.allclose(z.std(dim=(1, 2), unbiased=False), torch.ones(4), atol=1e-4)
    const = torch.full((2, 8, 3), 5.0)
    assert torch.allclose(gaussian_smooth(const), const)
    smoothed = gaussian_smooth(x)
    assert smoothed.shape == x.shape
    assert smoothed.diff(dim=1).abs().mean() < x.diff(dim=1).abs().mean()
    # changing another window does not change this one's transform (per-window only)
    y = x.clone()
    y[1:] += 100
    assert torch.equal(gaussian_smooth(y)[0], smoothed[0])
    assert torch.allclose(window_zscore(y)[0], z[0])


def test_tta_log_probs_single_transform() -> None:
    x = torch.randn(5, 4, 2)

    def forward(t: torch.Tensor) -> torch.Tensor:
        return t.sum(dim=1)

    assert torch.equal(tta_log_probs(forward, x, ["identity"]), F.log_softmax(forward(x), -1))


def test_predict_errors_and_empty_ends(setup) -> None:
    model, windows, _ = setup
    with pytest.raises(ConfigError, match="unknown TTA"):
        predict_logits(model, windows, np.array([10]), tta=["flip"])
    assert predict_logits(model, windows, np.zeros(0, dtype=np.int64)).shape == (0, 3)
    with pytest.raises(ConfigError, match="window end rows must lie in"):
        predict_logits(model, windows, np.array([2]))
