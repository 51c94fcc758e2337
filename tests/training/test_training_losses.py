"""Every loss against values computed by hand on small tensors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from tradewind.exceptions import ConfigError
from tradewind.training import (
    LossSpec,
    binary_bce_loss,
    cross_entropy,
    distillation_kl,
    distillation_loss,
    entropy_penalty,
    focal_loss,
    make_loss,
)

LOGITS = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-0.5, 1.5, 0.0]])
TARGETS = torch.tensor([0, 2, 1])


def _log_p(logits: torch.Tensor) -> list[list[float]]:
    out = []
    for row in logits.tolist():
        z = math.log(sum(math.exp(v) for v in row))
        out.append([v - z for v in row])
    return out


def test_cross_entropy_matches_torch_without_weights() -> None:
    ours = cross_entropy(LOGITS, TARGETS)
    assert torch.allclose(ours, F.cross_entropy(LOGITS, TARGETS), atol=1e-6)
    smooth = cross_entropy(LOGITS, TARGETS, label_smoothing=0.1)
    assert torch.allclose(smooth, F.cross_entropy(LOGITS, TARGETS, label_smoothing=0.1), atol=1e-6)


def test_cross_entropy_weights_are_a_plain_mean_of_weighted_losses() -> None:
    w = torch.tensor([1.0, 2.0, 0.5])
    lp = _log_p(LOGITS)
    by_hand = [-lp[i][t] * w[t].item() for i, t in enumerate(TARGETS.tolist())]
    per = cross_entropy(LOGITS, TARGETS, class_weights=w, reduction="none")
    assert torch.allclose(per, torch.tensor(by_hand), atol=1e-6)
    mean = cross_entropy(LOGITS, TARGETS, class_weights=w)
    assert mean.item() == pytest.approx(sum(by_hand) / 3, abs=1e-6)


def test_class_conditional_label_smoothing_uses_the_true_class_epsilon() -> None:
    eps = torch.tensor([0.0, 0.3, 0.1])  # class 0 unsmoothed, class 1 heavily
    lp = _log_p(LOGITS)
    by_hand = []
    for i, t in enumerate(TARGETS.tolist()):
        e = eps[t].item()
        q = [(1 - e) * (k == t) + e / 3 for k in range(3)]
        by_hand.append(-sum(q[k] * lp[i][k] for k in range(3)))
    per = cross_entropy(LOGITS, TARGETS, label_smoothing=eps, reduction="none")
    assert torch.allclose(per, torch.tensor(by_hand), atol=1e-6)
    # example 0 (class 0, eps 0) is plain CE
    assert per[0].item() == pytest.approx(-lp[0][0], abs=1e-6)


def test_focal_with_gamma_zero_equals_cross_entropy() -> None:
    for eps in (0.0, 0.1, torch.tensor([0.05, 0.0, 0.2])):
        a = focal_loss(LOGITS, TARGETS, gamma=0.0, label_smoothing=eps)
        b = cross_entropy(LOGITS, TARGETS, label_smoothing=eps)
        assert torch.allclose(a, b, atol=1e-6)


def test_asymmetric_focal_by_hand() -> None:
    alpha = torch.tensor([0.25, 0.5, 1.0])
    gamma = torch.tensor([2.0, 0.0, 1.0])
    lp = _log_p(LOGITS)
    by_hand = []
    for i, t in enumerate(TARGETS.tolist()):
        p_t = math.exp(lp[i][t])
        by_hand.append(-alpha[t].item() * (1 - p_t) ** gamma[t].item() * lp[i][t])
    per = focal_loss(LOGITS, TARGETS, alpha=alpha, gamma=gamma, reduction="none")
    assert torch.allclose(per, torch.tensor(by_hand), atol=1e-6)


def test_focal_with_smoothing_by_hand() -> None:
    lp = _log_p(LOGITS[:1])[0]
    e, g = 0.2, 2.0
    q = [(1 - e) * (k == 0) + e / 3 for k in range(3)]
    by_hand = -sum(q[k] * (1 - math.exp(lp[k])) ** g * lp[k] for k in range(3))
    got = focal_loss(LOGITS[:1], TARGETS[:1], gamma=g, label_smoothing=e)
    assert got.item() == pytest.approx(by_hand, abs=1e-6)


def test_bce_pos_weight_by_hand() -> None:
    logits = torch.tensor([[0.0, 1.0], [1.0, -1.0], [0.3, 0.3]])
    targets = torch.tensor([1, 0, 1])
    pw = 3.0
    by_hand = []
    for (l0, l1), t in zip(logits.tolist(), targets.tolist(), strict=True):
        z = l1 - l0
        sig = 1 / (1 + math.exp(-z))
        by_hand.append(-(pw * t * math.log(sig) + (1 - t) * math.log(1 - sig)))
    per = binary_bce_loss(logits, targets, pos_weight=pw, reduction="none")
    assert torch.allclose(per, torch.tensor(by_hand), atol=1e-6)
    # without pos_weight, BCE on z = l1 - l0 is exactly two-class cross-entropy
    assert torch.allclose(
        binary_bce_loss(logits, targets), cross_entropy(logits, targets), atol=1e-6
    )


def test_bce_refuses_three_logits() -> None:
    with pytest.raises(ConfigError, match="2 logits"):
        binary_bce_loss(LOGITS, TARGETS)


def test_entropy_penalty_by_hand_only_on_chosen_predicted_classes() -> None:
    lp = _log_p(LOGITS)
    entropy = [-sum(math.exp(v) * v for v in row) for row in lp]
    # predictions: row0 -> 0, row1 -> 2, row2 -> 1
    per = entropy_penalty(LOGITS, classes=[0, 1], reduction="none")
    assert torch.allclose(per, torch.tensor([-entropy[0], 0.0, -entropy[2]]), atol=1e-6)
    all_rows = entropy_penalty(LOGITS)
    assert all_rows.item() == pytest.approx(-sum(entropy) / 3, abs=1e-6)


def test_distillation_kl_with_temperature_and_t_squared() -> None:
    student = torch.tensor([[1.0, 0.0]])
    teacher = torch.tensor([[0.0, 2.0]])
    t = 2.0
    ps = [math.exp(0.5) / (math.exp(0.5) + 1), 1 / (math.exp(0.5) + 1)]
    pt = [1 / (1 + math.e), math.e / (1 + math.e)]
    kl = sum(pt[k] * math.log(pt[k] / ps[k]) for k in range(2))
    got = distillation_kl(student, teacher, temperature=t)
    assert got.item() == pytest.approx(t * t * kl, abs=1e-6)
    assert distillation_kl(student, student, temperature=t).item() == pytest.approx(0, abs=1e-7)


def test_distillation_loss_mixes_hard_and_soft_terms() -> None:
    student = torch.tensor([[1.0, 0.0], [0.2, 0.4]])
    teacher = torch.tensor([[0.0, 2.0], [1.0, -1.0]])
    y = torch.tensor([0, 1])
    alpha, t = 0.8, 1.5
    hard = cross_entropy(student, y)
    soft = distillation_kl(student, teacher, temperature=t)
    got = distillation_loss(student, y, teacher, alpha=alpha, temperature=t)
    assert got.item() == pytest.approx(alpha * hard.item() + (1 - alpha) * soft.item(), abs=1e-6)
    only_hard = distillation_loss(student, y, teacher, alpha=1.0, temperature=t)
    assert only_hard.item() == pytest.approx(hard.item(), abs=1e-6)
    # the teacher gets no gradient, the student does
    s = student.clone().requires_grad_(True)
    tl = teacher.clone().requires_grad_(True)
    distillation_loss(s, y, tl, alpha=0.5).backward()
    assert s.grad is not None and tl.grad is None


def test_make_loss_balanced_weights_and_criterion() -> None:
    crit = make_loss(LossSpec(), [70, 30], 2)
    assert crit.class_weights is not None
    assert crit.class_weights.tolist() == pytest.approx([100 / 140, 100 / 60])
    logits = torch.tensor([[0.3, -0.2], [0.0, 1.0]])
    y = torch.tensor([0, 1])
    want = cross_entropy(logits, y, class_weights=crit.class_weights)
    assert crit(logits, y).item() == pytest.approx(want.item())
    factors = torch.tensor([2.0, 1.0])
    want = cross_entropy(logits, y, class_weights=crit.class_weights * factors)
    assert crit(logits, y, class_factors=factors).item() == pytest.approx(want.item())


def test_make_loss_focal_scalar_alpha_and_auto_pos_weight() -> None:
    focal = make_loss(LossSpec(kind="focal", class_weights="none", focal_alpha=0.25), [5, 5], 2)
    assert focal.class_weights is not None
    assert focal.class_weights.tolist() == pytest.approx([0.75, 0.25])
    bce = make_loss(LossSpec(kind="bce", class_weights="none", pos_weight="auto"), [80, 20], 2)
    assert bce.pos_weight == pytest.approx(4.0)


def test_make_loss_entropy_term_is_added() -> None:
    spec = LossSpec(class_weights="none", entropy_penalty=0.5, entropy_classes=[1])
    crit = make_loss(spec, [10, 10, 10], 3)
    want = cross_entropy(LOGITS, TARGETS) + 0.5 * entropy_penalty(LOGITS, classes=[1])
    assert crit(LOGITS, TARGETS).item() == pytest.approx(want.item(), abs=1e-6)
    assert crit(LOGITS, TARGETS, penalty=False).item() == pytest.approx(
        cross_entropy(LOGITS, TARGETS).item(), abs=1e-6
    )


@pytest.mark.parametrize(
    ("spec", "n_classes", "match"),
    [
        (LossSpec(class_weights=[1.0, 2.0]), 3, "class_weights has 2 entries"),
        (LossSpec(label_smoothing=[0.1, 0.1]), 3, "label_smoothing has 2 entries"),
        (LossSpec(kind="bce", class_weights="none"), 3, "needs 2 classes"),
        (LossSpec(entropy_penalty=0.1, entropy_classes=[5]), 3, "outside 0..2"),
    ],
)
def test_make_loss_refuses_mismatched_specs(spec: LossSpec, n_classes: int, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make_loss(spec, [10] * n_classes, n_classes)
