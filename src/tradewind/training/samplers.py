"""Epoch orders: which training windows each batch holds, made on the training device.

An *order* is a flat int64 tensor of positions into the training set (0..N-1, i.e.
indices into ``train_ends``); batch b is ``order[b * batch_size : (b + 1) * batch_size]``.
Everything is tensor work with a seeded ``torch.Generator`` on the training device, so
on CUDA an epoch's indices never visit the host and on the CPU a seed repeats exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from tradewind.exceptions import DataError
from tradewind.training.spec import HardNegativeSpec, SamplerSpec

__all__ = [
    "EpochSampler",
    "class_balanced_order",
    "mix_hard_examples",
    "quota_counts",
    "select_hard_examples",
    "shuffle_order",
    "weighted_order",
]


def shuffle_order(n: int, *, generator: torch.Generator) -> torch.Tensor:
    """Every position once, in random order."""
    return torch.randperm(n, generator=generator, device=generator.device)


def weighted_order(
    labels: torch.Tensor, n_classes: int, *, generator: torch.Generator, n_samples: int | None = None
) -> torch.Tensor:
    """``n_samples`` positions (default N) drawn with replacement, P(i) ∝ 1 / count(label_i).

    Each class is then drawn equally often in expectation (seed 000's WeightedRandomSampler).
    """
    counts = torch.bincount(labels, minlength=n_classes).to(torch.float32)
    weights = 1.0 / counts.clamp_min(1.0)[labels]
    n = labels.numel() if n_samples is None else int(n_samples)
    return torch.multinomial(weights, n, replacement=True, generator=generator)


def quota_counts(quotas: Sequence[float], batch_size: int) -> list[int]:
    """Per-class slots of one batch: ``quota * batch_size`` rounded by largest remainder.

    >>> quota_counts([0.3, 0.3, 0.4], 10)
    [3, 3, 4]
    >>> quota_counts([0.3, 0.3, 0.4], 256)
    [77, 77, 102]
    """
    raw = [q * batch_size for q in quotas]
    counts = [math.floor(r) for r in raw]
    short = batch_size - sum(counts)
    by_remainder = sorted(range(len(raw)), key=lambda i: (raw[i] - counts[i], -i), reverse=True)
    for i in by_remainder[:short]:
        counts[i] += 1
    return counts


def class_balanced_order(
    labels: torch.Tensor,
    n_classes: int,
    batch_size: int,
    *,
    generator: torch.Generator,
    quotas: Sequence[float] | None = None,
    n_batches: int | None = None,
) -> torch.Tensor:
    """Batches holding exactly ``quota_counts(quotas, batch_size)[c]`` windows of class c.

    Each class's windows are visited in fresh random permutations, cycling when the class
    has fewer windows than its slots (minorities repeat, majorities are subsampled).
    ``n_batches`` defaults to ceil(N / batch_size). Returns [n_batches * batch_size].
    """
    quotas = [1.0 / n_classes] * n_classes if quotas is None else list(quotas)
    slots = quota_counts(quotas, batch_size)
    n_batches = math.ceil(labels.numel() / batch_size) if n_batches is None else int(n_batches)
    device = labels.device
    columns = []
    for c, k in enumerate(slots):
        if k == 0:
            continue
        pool = torch.nonzero(labels == c).flatten()
        if pool.numel() == 0:
            raise DataError(
                f"class {c} has no training windows but its batch quota is {quotas[c]:g}; "
                "drop the class from the labels or use another sampler"
            )
        need = n_batches * k
        reps = math.ceil(need / pool.numel())
        picks = torch.cat(
            [torch.randperm(pool.numel(), generator=generator, device=device) for _ in range(reps)]
        )[:need]
        columns.append(pool[picks].view(n_batches, k))
    batches = torch.cat(columns, dim=1)
    within = torch.argsort(
        torch.rand(batches.shape, generator=generator, device=device), dim=1
    )
    return torch.gather(batches, 1, within).flatten()


def select_hard_examples(
    losses: torch.Tensor,
    labels: torch.Tensor,
    *,
    classes: Sequence[int] | None,
    fraction: float,
) -> torch.Tensor:
    """Positions of the ``ceil(fraction * n_c)`` highest-loss examples of each chosen class.

    ``losses`` [N] is the latest per-example training loss (NaN where not yet seen, never
    chosen); ``classes`` None means every class. Returns positions sorted by class, then
    by descending loss.
    """
    chosen = range(int(labels.max()) + 1) if classes is None else classes
    picks = []
    for c in chosen:
        pool = torch.nonzero((labels == c) & torch.isfinite(losses)).flatten()
        n_class = int((labels == c).sum())
        k = min(math.ceil(fraction * n_class), pool.numel())
        if k == 0:
            continue
        top = torch.topk(losses[pool], k).indices
        picks.append(pool[top])
    if not picks:
        return torch.empty(0, dtype=torch.long, device=labels.device)
    return torch.cat(picks)


def mix_hard_examples(
    order: torch.Tensor,
    labels: torch.Tensor,
    hard: torch.Tensor,
    *,
    generator: torch.Generator,
) -> torch.Tensor:
    """Put the ``hard`` positions into ``order`` in place of random same-class slots.

    Only slots holding non-hard examples are replaced. Replacing same-class slots keeps every batch's class counts (class-balanced quotas
    hold) and the epoch length; the hard examples appear once more than they otherwise
    would. Returns a new order.
    """
    out = order.clone()
    slot_labels = labels[order]
    hard_labels = labels[hard]
    free = ~torch.isin(order, hard)
    for c in torch.unique(hard_labels).tolist():
        mine = hard[hard_labels == c]
        slots = torch.nonzero((slot_labels == c) & free).flatten()
        k = min(mine.numel(), slots.numel())
        if k == 0:
            continue
        where = slots[torch.randperm(slots.numel(), generator=generator, device=order.device)[:k]]
        out[where] = mine[torch.randperm(mine.numel(), generator=generator, device=order.device)[:k]]
    return out


class EpochSampler:
    """The epoch orders ``fit`` uses: the ``SamplerSpec``'s order, hard examples mixed in.

    Parameters
    ----------
    spec, hard:
        Sampling and hard-example mining configs.
    labels:
        Training labels [N] on the training device (position i = ``train_ends[i]``).
    n_classes, batch_size:
        Number of classes; batch size (for class-balanced quotas).
    generator:
        Seeded generator on the training device.
    """

    def __init__(
        self,
        spec: SamplerSpec,
        hard: HardNegativeSpec,
        labels: torch.Tensor,
        n_classes: int,
        batch_size: int,
        *,
        generator: torch.Generator,
    ) -> None:
        self.spec = spec
        self.hard = hard
        self.labels = labels
        self.n_classes = n_classes
        self.batch_size = batch_size
        self.generator = generator

    def order(self, losses: torch.Tensor | None = None) -> torch.Tensor:
        """This epoch's order; ``losses`` [N] (last seen per-example losses) feed mining."""
        if self.spec.kind == "weighted":
            order = weighted_order(self.labels, self.n_classes, generator=self.generator)
        elif self.spec.kind == "class_balanced":
            order = class_balanced_order(
                self.labels, self.n_classes, self.batch_size,
                generator=self.generator, quotas=self.spec.quotas,
            )
        else:
            order = shuffle_order(self.labels.numel(), generator=self.generator)
        if self.hard.enabled and losses is not None:
            hard = select_hard_examples(
                losses, self.labels, classes=self.hard.classes, fraction=self.hard.fraction
            )
            if hard.numel():
                order = mix_hard_examples(order, self.labels, hard, generator=self.generator)
        return order
