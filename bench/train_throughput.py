"""Training throughput: tradewind's gathered-window trainer against a seed-style loop.

Both train the same BiLSTM 128x3 (lookback 60, 39 features, 3 classes) for full steps
(forward, backward, optimiser) in the same process, on the same device:

- **naive**: a ``Dataset`` whose ``__getitem__`` slices one window and returns a dict,
  a ``DataLoader`` with batch 32, float32, the loop the seeds ran;
- **tradewind**: :func:`tradewind.training.fit` on index windows over one matrix on the
  device, batch 1024 (bf16 autocast on CUDA), progress bar off.

Prints windows/s for each, the ratio, achieved GFLOP/s (analytic LSTM FLOPs x 3 for the
backward pass) and the device. It never asserts: timings live here, not in tests. ::

    .venv/bin/python bench/train_throughput.py [--naive-windows 3000] [--windows 20000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from tradewind.dataset.windows import Windows
from tradewind.models import build, parse_model_spec
from tradewind.training import TrainingData, TrainSpec, fit

LOOKBACK, FEATURES, CLASSES, HIDDEN, LAYERS = 60, 39, 3, 128, 3
SPEC = {"name": "lstm", "hidden_size": HIDDEN, "num_layers": LAYERS, "bidirectional": True,
        "dropout": 0.35}


def lstm_train_flops_per_window() -> float:
    """Multiply-adds x 2 of the BiLSTM over one window, x 3 for forward + backward."""
    total = 0.0
    inputs = FEATURES
    for _ in range(LAYERS):
        per_step = 4 * HIDDEN * (inputs + HIDDEN) * 2  # four gates, mul + add
        total += 2 * per_step * LOOKBACK  # two directions
        inputs = 2 * HIDDEN
    return 3.0 * total


class DictWindows(Dataset):
    """The seeds' pattern: one Python call and one small tensor per sample."""

    def __init__(self, X: np.ndarray, y: np.ndarray, ends: np.ndarray) -> None:
        self.X, self.y, self.ends = X, y, ends

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        end = int(self.ends[i])
        window = self.X[end - LOOKBACK + 1 : end + 1]
        return {"features": torch.tensor(window, dtype=torch.float32),
                "label": torch.tensor(self.y[end], dtype=torch.long)}


def _model(device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    return build(parse_model_spec(SPEC), FEATURES, CLASSES, verbose=False).to(device)


def naive_windows_per_second(X: np.ndarray, y: np.ndarray, n: int, device: torch.device) -> float:
    ends = np.arange(LOOKBACK - 1, LOOKBACK - 1 + n)
    loader = DataLoader(DictWindows(X, y, ends), batch_size=32, shuffle=True)
    model = _model(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()

    def step(batch: dict[str, Any]) -> None:
        optimiser.zero_grad()
        loss = loss_fn(model(batch["features"].to(device)), batch["label"].to(device))
        loss.backward()
        optimiser.step()

    warm = iter(loader)
    for _ in range(3):
        step(next(warm))
    _sync(device)
    start = time.perf_counter()
    seen = 0
    for batch in loader:
        step(batch)
        seen += len(batch["label"])
    _sync(device)
    return seen / (time.perf_counter() - start)


def ours_windows_per_second(
    X: np.ndarray, y: np.ndarray, n: int, device: torch.device, batch: int = 1024
) -> float:
    windows = Windows(torch.from_numpy(X).to(device), LOOKBACK)
    ends = np.arange(LOOKBACK - 1, LOOKBACK - 1 + n)
    data = TrainingData(windows=windows, y=torch.from_numpy(y).to(device), train_ends=ends,
                        val_ends=np.array([], dtype=np.int64), n_classes=CLASSES)
    spec = TrainSpec(epochs=1, batch_size=batch, device=device.type)
    warm = TrainingData(windows=windows, y=data.y, train_ends=ends[:2048],
                        val_ends=data.val_ends, n_classes=CLASSES)
    fit(_model(device), warm, spec, progress=False)  # kernels, allocator, autotune
    model = _model(device)
    _sync(device)
    start = time.perf_counter()
    fit(model, data, spec, progress=False)
    _sync(device)
    return n / (time.perf_counter() - start)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-windows", type=int, default=3_000)
    parser.add_argument("--windows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1024, help="Our batch size.")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    n = max(args.windows, args.naive_windows) + LOOKBACK
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, n).astype(np.int64)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    naive = naive_windows_per_second(X, y, args.naive_windows, device)
    ours = ours_windows_per_second(X, y, args.windows, device, args.batch)
    flops = lstm_train_flops_per_window()
    print(f"BiLSTM {HIDDEN}x{LAYERS}, lookback {LOOKBACK}, {FEATURES} features, full training step")
    print(f"{'loop':<28}{'windows/s':>12}{'GFLOP/s':>10}")
    print(f"{'naive (dict Dataset, b=32)':<28}{naive:>12,.0f}{naive * flops / 1e9:>10,.1f}")
    print(f"{f'tradewind fit (b={args.batch})':<28}{ours:>12,.0f}{ours * flops / 1e9:>10,.1f}")
    print(f"ratio tradewind / naive: {ours / naive:.2f}x")


if __name__ == "__main__":
    main()
