"""Learning-rate curves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tradewind.training import LRSchedule, ScheduleSpec, cosine_restarts_lr, warmup_cosine_lr


def test_warmup_then_cosine_curve() -> None:
    kw = {"base_lr": 1e-3, "total_epochs": 20, "warmup_epochs": 4, "eta_min": 1e-5}
    assert warmup_cosine_lr(0.0, **kw) == 0.0
    assert warmup_cosine_lr(2.0, **kw) == pytest.approx(5e-4)
    assert warmup_cosine_lr(4.0, **kw) == pytest.approx(1e-3)
    assert warmup_cosine_lr(12.0, **kw) == pytest.approx(1e-5 + (1e-3 - 1e-5) * 0.5)
    assert warmup_cosine_lr(20.0, **kw) == pytest.approx(1e-5)
    ts = np.linspace(0, 20, 201)
    lrs = np.array([warmup_cosine_lr(t, **kw) for t in ts])
    assert np.all(np.diff(lrs[ts <= 4]) > 0)
    assert np.all(np.diff(lrs[ts >= 4]) <= 0)


def test_warmup_is_cut_to_half_of_a_short_run() -> None:
    kw = {"base_lr": 1.0, "total_epochs": 2, "warmup_epochs": 3}
    assert warmup_cosine_lr(1.0, **kw) == pytest.approx(1.0)
    assert warmup_cosine_lr(2.0, **kw) == pytest.approx(0.0)


def test_cosine_restarts_matches_torch() -> None:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2,
                                                                 eta_min=1e-4)
    for epoch in range(75):
        ours = cosine_restarts_lr(epoch, base_lr=0.1, t0=10, t_mult=2, eta_min=1e-4)
        assert ours == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-12), epoch
        opt.step()
        sched.step()
    # restarts at 10 and 30 (periods 10, 20, 40)
    assert cosine_restarts_lr(10, base_lr=0.1, t0=10, t_mult=2) == pytest.approx(0.1)
    assert cosine_restarts_lr(30, base_lr=0.1, t0=10, t_mult=2) == pytest.approx(0.1)
    assert cosine_restarts_lr(5, base_lr=0.1, t0=10, t_mult=1) == pytest.approx(0.05)


def test_plateau_cuts_after_patience_epochs_without_improvement() -> None:
    spec = ScheduleSpec(kind="plateau", factor=0.5, patience=2, eta_min=0.1)
    s = LRSchedule(spec, base_lr=1.0, epochs=50, mode="max", threshold=0.01)
    lrs = []
    for value in [0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3, float("nan")] + [0.3] * 12:
        s.end_epoch(value)
        lrs.append(s.lr(0.0))
    assert lrs[:4] == [1.0] * 4
    assert lrs[4] == 0.5  # third epoch without improvement
    assert lrs[5] == 0.5 and lrs[8] == 0.25
    assert lrs[9] == 0.25  # NaN ignored
    assert min(lrs) == 0.1  # never below eta_min
    state = s.state_dict()
    again = LRSchedule(spec, base_lr=1.0, epochs=50)
    again.load_state_dict(state)
    assert again.lr(3.0) == s.lr(3.0)


def test_none_schedule_is_constant() -> None:
    s = LRSchedule(ScheduleSpec(kind="none"), base_lr=0.01, epochs=5)
    assert {s.lr(t) for t in (0.0, 2.5, 5.0)} == {0.01}
