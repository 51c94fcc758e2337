"""How often does the gate refuse a random walk now that a trade policy is fitted per fold?

Fitting a policy on validation rows is a search over many candidates; on a market where
nothing is predictable it must not find a "tradable edge" that survives out of sample.
This runs the same small experiment on ``--seeds`` random walks (and, side by side, on the
regime-limited planted market the tests use) and prints, per seed, the gate's verdict, the
failing checks and the fitted policy's out-of-sample trades and Sharpe interval.

    python bench/policy_random_walks.py --seeds 20

Aim: the gate refuses at least 19 of 20 random walks.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from tradewind.config import Experiment, validate_section
from tradewind.pipeline.experiment import run_experiment


def _experiment(source: str) -> Experiment:
    raw = {
        "name": "bench-policy", "seed": 3,
        "data": {"source": source, "symbol": "SYN/USD"},
        "features": {"sets": ["core15"]},
        "labels": {"kind": "direction", "horizon": 1},
        "lookback": 4,
        "split": {"n_folds": 3, "min_train": 0.4, "val_fraction": 0.2},
        "normalizer": {"kind": "robust"},
        "model": {"name": "lstm", "hidden_size": 32, "num_layers": 1, "bidirectional": False,
                  "dropout": 0.0},
        "training": {"epochs": 10, "batch_size": 256, "lr": 0.003,
                     "early_stopping": {"monitor": "val_loss", "patience": 4}},
        "bootstrap": {"n_boot": 500},
        "backtest": {"fee_bps": 2.0, "slippage_bps": 1.0},
        "importance": {"enabled": False},
        "registry": {"enabled": False},
    }
    return validate_section(Experiment, raw, "bench experiment")


def _one(source: str, out: Path) -> tuple[bool, list[str], int, list, float]:
    started = time.perf_counter()
    result = run_experiment(_experiment(source), out_dir=out, progress=False, html=False)
    fitted = result.report.policy["results"]["fitted"]
    failing = [c.name for c in result.report.gate.failing]
    return (result.gate_passed, failing, fitted["n_trades"], fitted["sharpe_ci"],
            time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--bars", type=int, default=6000)
    args = parser.parse_args()
    refused = 0
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'market':<34} {'gate':<8} {'trades':>6} {'fitted Sharpe CI':>20}  failing checks")
        for seed in range(args.seeds):
            source = f"synthetic:random_walk?bars={args.bars}&seed={100 + seed}&timeframe=1h"
            passed, failing, trades, ci, secs = _one(source, Path(tmp) / f"rw{seed}")
            refused += not passed
            span = "n/a" if None in ci else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"
            print(f"random walk seed {100 + seed:<17} {'PASSED' if passed else 'refused':<8} "
                  f"{trades:>6} {span:>20}  {', '.join(failing)}  ({secs:.0f} s)", flush=True)
        planted = ("synthetic:planted?bars=12000&seed=1&timeframe=1h&regime=0.3&vol=0.002"
                   "&edge=1")
        passed, failing, trades, ci, secs = _one(planted, Path(tmp) / "planted")
        span = "n/a" if None in ci else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"
        print(f"{'planted regime (control)':<34} {'PASSED' if passed else 'refused':<8} "
              f"{trades:>6} {span:>20}  {', '.join(failing)}  ({secs:.0f} s)")
    share = refused / args.seeds
    aim = "MET" if refused >= 0.95 * args.seeds else "NOT MET"
    print(f"\nrandom walks refused: {refused} of {args.seeds} ({share:.0%}); aim >= 95 %: {aim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
