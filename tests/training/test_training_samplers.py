"""Epoch orders: quotas per batch, weighted proportions, hard-example mining, reweighting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from tradewind.exceptions import DataError
from tradewind.training import (
    EpochSampler,
    HardNegativeSpec,
    SamplerSpec,
    class_balanced_order,
    mix_hard_examples,
    nudge_class_factors,
    quota_counts,
    select_hard_examples,
    shuffle_order,
    weighted_order,
)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _labels(counts: list[int], seed: int = 0) -> torch.Tensor:
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    return y[torch.randperm(len(y), generator=_gen(seed))]


def test_quota_counts_sum_to_batch_size() -> None:
    assert quota_counts([0.3, 0.3, 0.4], 256) == [77, 77, 102]
    assert quota_counts([1 / 3] * 3, 64) == [22, 21, 21]
    for bs in (1, 7, 33, 1000):
        assert sum(quota_counts([0.2, 0.5, 0.3], bs)) == bs


def test_class_balanced_batches_meet_quotas_exactly() -> None:
    labels = _labels([700, 250, 50])  # heavily imbalanced
    batch = 50
    order = class_balanced_order(labels, 3, batch, generator=_gen(), quotas=[0.3, 0.3, 0.4])
    assert order.numel() == 20 * batch  # ceil(1000 / 50) batches, all full
    want = quota_counts([0.3, 0.3, 0.4], batch)
    for b in range(20):
        got = torch.bincount(labels[order[b * batch : (b + 1) * batch]], minlength=3).tolist()
        assert got == want, f"batch {b}: {got} != {want}"
    # 400 minority slots cycle through the 50 minority rows: each one exactly 8 times
    minority = order[labels[order] == 2]
    assert torch.bincount(minority, minlength=1000)[labels == 2].tolist() == [8] * 50


def test_class_balanced_refuses_an_empty_class() -> None:
    with pytest.raises(DataError, match="class 2 has no training windows"):
        class_balanced_order(_labels([10, 10, 0]), 3, 6, generator=_gen())


def test_weighted_sampler_draws_classes_equally_often() -> None:
    labels = _labels([8000, 1500, 500])
    order = weighted_order(labels, 3, generator=_gen(1))
    assert order.numel() == 10_000
    shares = torch.bincount(labels[order], minlength=3).double() / order.numel()
    assert shares.tolist() == pytest.approx([1 / 3] * 3, abs=0.03)
    # with replacement: some minority rows appear several times
    assert torch.bincount(order[labels[order] == 2]).max() > 1


def test_shuffle_is_a_seeded_permutation() -> None:
    a = shuffle_order(100, generator=_gen(3))
    b = shuffle_order(100, generator=_gen(3))
    assert sorted(a.tolist()) == list(range(100))
    assert torch.equal(a, b)


def test_hard_selection_picks_highest_loss_rows_of_chosen_classes() -> None:
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    losses = torch.tensor([0.1, 5.0, 0.3, 0.9, 0.2, 9.0, 0.5, 0.4, float("nan"), 0.7])
    hard = select_hard_examples(losses, labels, classes=[0, 1], fraction=0.5)
    # class 0 rows 0,3,6,9 -> top 2 by loss: 3 (0.9), 9 (0.7); class 1 rows 1,4,7 -> top 2: 1, 7
    assert hard.tolist() == [3, 9, 1, 7]
    # class 2 never chosen although it has the largest loss; NaN (unseen) never chosen
    all_classes = select_hard_examples(losses, labels, classes=None, fraction=0.4)
    assert 8 not in all_classes.tolist() and 5 in all_classes.tolist()


def test_mixing_hard_examples_keeps_batch_class_counts() -> None:
    labels = _labels([300, 100])
    order = class_balanced_order(labels, 2, 20, generator=_gen(), quotas=[0.5, 0.5])
    hard = torch.nonzero(labels == 0).flatten()[:15]
    mixed = mix_hard_examples(order, labels, hard, generator=_gen(2))
    assert mixed.numel() == order.numel()
    for b in range(order.numel() // 20):
        sl = slice(b * 20, (b + 1) * 20)
        assert torch.equal(torch.bincount(labels[mixed[sl]], minlength=2),
                           torch.bincount(labels[order[sl]], minlength=2))
    counts = torch.bincount(mixed, minlength=len(labels))
    assert (counts[hard] >= 1).all()
    assert counts[hard].sum() > torch.bincount(order, minlength=len(labels))[hard].sum()


def test_epoch_sampler_mines_only_with_losses() -> None:
    labels = _labels([60, 40])
    spec = SamplerSpec()
    sampler = EpochSampler(spec, HardNegativeSpec(enabled=True, classes=[1], fraction=0.25),
                           labels, 2, 10, generator=_gen())
    first = sampler.order(None)
    assert sorted(first.tolist()) == list(range(100))
    losses = torch.zeros(100)
    hardest = torch.nonzero(labels == 1).flatten()[:10]
    losses[hardest] = 10.0
    mined = sampler.order(losses)
    counts = torch.bincount(mined, minlength=100)
    assert (counts[hardest] == 2).all()  # once as usual, once mixed in
    assert mined.numel() == 100


def test_reweighting_moves_in_bounded_steps() -> None:
    label = np.array([0.7, 0.3])
    pred = np.array([0.5, 0.5])  # majority under-predicted by 20 points
    f = np.ones(2)
    history = [f]
    for _ in range(40):
        f = nudge_class_factors(f, label, pred, step=0.05, max_factor=2.0)
        history.append(f)
    steps = np.array([b / a for a, b in itertools.pairwise(history)])
    assert np.all(np.abs(steps - 1) <= 0.05 + 1e-12)
    assert history[1].tolist() == pytest.approx([1.05, 0.95])
    assert f.tolist() == pytest.approx([2.0, 0.5])  # clamped at max_factor
    # a small gap moves by the relative gap, not the full step
    small = nudge_class_factors(np.ones(2), label, np.array([0.69, 0.31]), step=0.05)
    assert small.tolist() == pytest.approx([1 + 0.01 / 0.7, 1 - 0.01 / 0.3])
