"""Pooled windows over many symbols: windows/s and peak memory against one symbol.

Two cases, each in a fresh subprocess (so each has its own peak RSS): one synthetic
symbol of ``--bars`` bars, and ``--symbols`` symbols of ``--bars`` bars each. Each case
goes the way a pooled run goes: ``load_universe`` + ``prepare_universe`` (features and
labels per symbol, stacked), a per-symbol ``SeriesNormalizer`` fitted on every labelled
row, one float32 ``Windows`` matrix over all symbols, and then

- **gather**: a shuffled epoch of training batches gathered exactly as the trainer does
  (``DeviceData.inputs``: one ``Windows.gather`` of end rows per batch), capped at
  ``--windows`` windows;
- **fit**: ``tradewind.training.fit`` of a small FNN for one epoch on ``--fit-windows``
  end rows drawn from every symbol (the full training step on the pooled matrix).

Printed per case: the stacked feature matrix (float32, what the windows read), what
``windows x lookback x features`` float32 would have been had the windows been
materialised, the peak RSS while preparing and the peak RSS during the batch loops
(``VmHWM``, reset after preparing), windows/s of both loops, and the ratios pooled /
single. It never asserts: timings live here, not in tests. ::

    .venv/bin/python bench/universe_scale.py [--symbols 50] [--bars 100000] [--lookback 60]
    .venv/bin/python bench/universe_scale.py --quick   # 3 x 3,000 bars, seconds
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tradewind.config import Experiment, validate_section
from tradewind.dataset import SeriesNormalizer, Windows
from tradewind.models import build, parse_model_spec
from tradewind.pipeline.prepare import load_universe, prepare_universe
from tradewind.training import TrainingData, TrainSpec, fit
from tradewind.training.data import DeviceData

MiB = 1024 * 1024


def experiment(symbols: int, bars: int, lookback: int, features: str) -> Experiment:
    """A pooled universe of ``symbols`` planted synthetic markets (seeds 1..N), 1h bars."""
    sources = [{"source": f"synthetic:planted?bars={bars}&seed={s + 1}&timeframe=1h",
                "symbol": f"S{s:03d}/USD"} for s in range(symbols)]
    raw = {"name": "universe-scale", "seed": 0, "data": {"sources": sources},
           "features": {"sets": [features]}, "labels": {"kind": "direction", "horizon": 1},
           "lookback": lookback, "universe": {"mode": "pooled"},
           "registry": {"enabled": False}}
    return validate_section(Experiment, raw, "bench")


def _status_kib(key: str) -> int:
    """``VmRSS`` / ``VmHWM`` of this process in KiB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ``clear_refs`` 5); False where refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def gather_rate(dev: DeviceData, n: int, batch: int, seed: int = 0) -> float:
    """Windows/s of a shuffled epoch's first ``n`` windows, gathered as the trainer does."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(dev.train_ends.numel(), generator=generator)[:n]
    checksum = torch.zeros(())
    start = time.perf_counter()
    for b in range(0, order.numel(), batch):
        ends = dev.train_ends[order[b:b + batch]]
        x, _ = dev.inputs(ends)
        checksum += x[:, -1, 0].sum()  # touch the batch so nothing is optimised away
    seconds = time.perf_counter() - start
    if not torch.isfinite(checksum):
        raise RuntimeError("non-finite features in the gathered windows")
    return order.numel() / seconds


def fit_rate(windows: Windows, y: np.ndarray, ends: np.ndarray, n_classes: int,
             batch: int) -> float:
    """Windows/s of one epoch of ``training.fit`` (FNN 32, full step) on ``ends``."""
    torch.manual_seed(0)
    model = build(parse_model_spec({"name": "fnn", "hidden": [32], "dropout": 0.0}),
                  windows.n_features, n_classes, verbose=False)
    spec = TrainSpec(epochs=1, batch_size=batch, device="cpu")
    empty = np.array([], dtype=np.int64)
    warm = TrainingData(windows=windows, y=torch.from_numpy(y), train_ends=ends[:batch],
                        val_ends=empty, n_classes=n_classes)
    fit(model, warm, spec, progress=False)  # first-call costs (allocator, kernels)
    torch.manual_seed(0)
    model = build(parse_model_spec({"name": "fnn", "hidden": [32], "dropout": 0.0}),
                  windows.n_features, n_classes, verbose=False)
    data = TrainingData(windows=windows, y=torch.from_numpy(y), train_ends=ends,
                        val_ends=empty, n_classes=n_classes)
    start = time.perf_counter()
    fit(model, data, spec, progress=False)
    return len(ends) / (time.perf_counter() - start)


def measure(symbols: int, bars: int, lookback: int, features: str, batch: int,
            windows_cap: int, fit_windows: int) -> dict[str, Any]:
    """One case, in this process: prepare, then the gather and fit loops."""
    exp = experiment(symbols, bars, lookback, features)
    rss_start = _status_kib("VmRSS")
    start = time.perf_counter()
    prep = prepare_universe(exp, load_universe(exp))
    prepare_s = time.perf_counter() - start
    peak_prepare = _status_kib("VmHWM")
    rss_prepared = _status_kib("VmRSS")
    reset = _reset_peak()

    rows = prep.samples
    normalizer = SeriesNormalizer(kind=exp.normalizer.kind, clip=exp.normalizer.clip).fit(
        prep.X, prep.offsets, rows, lookback, prep.features.names, prep.symbols)
    windows = Windows(normalizer.transform(prep.X), lookback)
    data = TrainingData(windows=windows, y=torch.from_numpy(prep.y), train_ends=rows,
                        val_ends=np.array([], dtype=np.int64), n_classes=len(prep.classes))
    dev = DeviceData.from_data(data, torch.device("cpu"))
    gather = gather_rate(dev, min(windows_cap, len(rows)), batch)
    pick = np.random.default_rng(1).choice(len(rows), min(fit_windows, len(rows)), replace=False)
    fitted = fit_rate(windows, prep.y, np.sort(rows[pick]), len(prep.classes), batch)
    n_rows, n_features = windows.n_rows, windows.n_features
    return {
        "symbols": symbols, "bars": bars, "lookback": lookback, "features": features,
        "rows": n_rows, "n_features": n_features, "windows": len(rows),
        "stacked_f32_mib": n_rows * n_features * 4 / MiB,
        "raw_f64_mib": prep.X.nbytes / MiB,
        "materialised_mib": len(rows) * lookback * n_features * 4 / MiB,
        "prepare_s": prepare_s,
        "rss_start_mib": rss_start / 1024, "peak_prepare_mib": peak_prepare / 1024,
        "rss_prepared_mib": rss_prepared / 1024,
        "peak_batches_mib": _status_kib("VmHWM") / 1024 if reset else None,
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gather_windows": min(windows_cap, len(rows)), "gather_wps": gather,
        "fit_windows": len(pick), "fit_wps": fitted, "threads": torch.get_num_threads(),
    }


def run_case(args: argparse.Namespace, symbols: int) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so its peak RSS is its own."""
    cmd = [sys.executable, __file__, "--case", str(symbols), "--bars", str(args.bars),
           "--lookback", str(args.lookback), "--features", args.features,
           "--batch", str(args.batch), "--windows", str(args.windows),
           "--fit-windows", str(args.fit_windows)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"case with {symbols} symbol(s) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def report(single: dict[str, Any], pooled: dict[str, Any]) -> None:
    """The side-by-side table and the ratios."""
    print(f"lookback {single['lookback']}, {single['n_features']} features "
          f"({single['features']}), torch {torch.__version__}, {single['threads']} threads")
    columns = ["case", "rows", "windows", "stacked f32 MiB", "N*L*F f32 MiB", "prepare s",
               "peak RSS prepare", "peak RSS batches", "gather win/s", "fit win/s"]
    print(" | ".join(columns))
    for name, case in (("1 symbol", single), (f"{pooled['symbols']} symbols", pooled)):
        print(" | ".join([
            name, f"{case['rows']:,}", f"{case['windows']:,}", _mib(case["stacked_f32_mib"]),
            _mib(case["materialised_mib"]), f"{case['prepare_s']:.1f}",
            _mib(case["peak_prepare_mib"]), _mib(case["peak_batches_mib"]),
            f"{case['gather_wps']:,.0f}", f"{case['fit_wps']:,.0f}",
        ]))
    for name, case in (("1 symbol", single), (f"{pooled['symbols']} symbols", pooled)):
        extra = (None if case["peak_batches_mib"] is None
                 else case["peak_batches_mib"] - case["rss_prepared_mib"])
        print(f"{name}: RSS after imports {_mib(case['rss_start_mib'])} MiB, after preparing "
              f"{_mib(case['rss_prepared_mib'])} MiB (raw float64 features "
              f"{_mib(case['raw_f64_mib'])} MiB); batch loops added {_mib(extra)} MiB at peak "
              f"(normalised matrix {_mib(case['stacked_f32_mib'])} MiB); gathered "
              f"{case['gather_windows']:,} windows, fitted {case['fit_windows']:,}")
    print(f"ratio pooled / single: gather {pooled['gather_wps'] / single['gather_wps']:.2f}x, "
          f"fit {pooled['fit_wps'] / single['fit_wps']:.2f}x; rows "
          f"{pooled['rows'] / single['rows']:.1f}x, peak RSS (batches) "
          + ("n/a" if single["peak_batches_mib"] is None else
             f"{pooled['peak_batches_mib'] / single['peak_batches_mib']:.1f}x"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--bars", type=int, default=100_000, help="Bars per symbol.")
    parser.add_argument("--lookback", type=int, default=60)
    parser.add_argument("--features", default="core15", help="Feature set of every symbol.")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--windows", type=int, default=1_000_000,
                        help="Windows gathered per case (a shuffled epoch, capped).")
    parser.add_argument("--fit-windows", type=int, default=100_000,
                        help="Windows of the one-epoch fit per case.")
    parser.add_argument("--quick", action="store_true",
                        help="3 symbols x 3,000 bars, lookback 16: a smoke run in seconds.")
    parser.add_argument("--case", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.symbols, args.bars, args.lookback = 3, 3_000, 16
        args.windows, args.fit_windows = 2_000, 1_000
    if args.case is not None:  # the subprocess of one case
        print(json.dumps(measure(args.case, args.bars, args.lookback, args.features,
                                 args.batch, args.windows, args.fit_windows)))
        return
    print(f"{args.symbols} symbols x {args.bars:,} bars against 1 symbol x {args.bars:,} bars")
    report(run_case(args, 1), run_case(args, args.symbols))


if __name__ == "__main__":
    main()
