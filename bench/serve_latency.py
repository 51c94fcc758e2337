"""Latency of ``tradewind serve`` on loopback: /v1/predict and /v1/signal at a target rate.

Builds a small random-weight bundle (LSTM, lookback 60, ``core15`` features; no
training), serves it with :class:`tradewind.serve.ServerThread` on 127.0.0.1, and drives
it from a second process: requests are sent open-loop at ``--rate`` per second for
``--seconds`` per endpoint (a pool of client threads keeps the schedule when replies are
slow). Prints p50/p99 latency and the achieved requests/s; never asserts.

Run: ``.venv/bin/python bench/serve_latency.py [--rate 100] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

LOOKBACK = 60
MODEL = {"name": "lstm", "hidden_size": 32, "num_layers": 1, "bidirectional": False, "dropout": 0.0}


def make_bundle(path: Path):
    """A random-weight bundle with a fitted normaliser and temperature; returns (path, candles)."""
    import torch

    from tradewind import __version__
    from tradewind.artifacts.bundle import BundleManifest, save_bundle
    from tradewind.calibration import TemperatureScaler
    from tradewind.data import load
    from tradewind.dataset import Normalizer
    from tradewind.features import FeatureSpec, compute, warmup_bars
    from tradewind.labels import LabelSpec
    from tradewind.models import build, parse_model_spec

    candles = load("synthetic:planted?bars=2000&seed=0&timeframe=1h")
    spec = FeatureSpec(sets=["core15"])
    feats = compute(candles, spec)
    normalizer = Normalizer(kind="robust", clip=5.0).fit(feats.frame.to_numpy(), feats.names)
    torch.manual_seed(0)
    model = build(parse_model_spec(MODEL), len(feats.names), 2, verbose=False).eval()
    rng = np.random.default_rng(0)
    calibrator = TemperatureScaler().fit(rng.normal(size=(500, 2)), rng.integers(0, 2, 500))
    manifest = BundleManifest(
        tradewind_version=__version__, name="bench", model=MODEL,
        features=spec.model_dump(mode="json"),
        labels=LabelSpec(kind="direction", horizon=1).model_dump(mode="json"),
        lookback=LOOKBACK, warmup_bars=warmup_bars(spec), classes=["DOWN", "UP"],
        feature_names=feats.names, normalizer=normalizer.to_dict(),
        calibration=calibrator.to_dict(), data={"fingerprint": "bench"},
    )
    return save_bundle(path, model, manifest), candles, feats.frame.to_numpy()


def drive(url: str, route: str, body: bytes, rate: float, seconds: float, workers: int) -> dict:
    """Send ``rate * seconds`` requests on schedule; latencies of each, in seconds."""
    import httpx

    n = int(rate * seconds)
    local = threading.local()
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def one(due: float) -> None:
        nonlocal failures
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=url, timeout=30)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        start = time.perf_counter()
        reply = client.post(route, content=body, headers={"content-type": "application/json"})
        took = time.perf_counter() - start
        with lock:
            if reply.status_code == 200:
                latencies.append(took)
            else:
                failures += 1

    with httpx.Client(base_url=url, timeout=30) as warm:  # warm-up: first calls pay setup costs
        for _ in range(20):
            warm.post(route, content=body, headers={"content-type": "application/json"})
    t0 = time.perf_counter() + 0.05
    with ThreadPoolExecutor(workers) as pool:
        for i in range(n):
            pool.submit(one, t0 + i / rate)
    elapsed = time.perf_counter() - t0
    return {"route": route, "sent": n, "ok": len(latencies), "failed": failures,
            "elapsed_s": elapsed, "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="target requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration per endpoint")
    parser.add_argument("--workers", type=int, default=16, help="client threads")
    parser.add_argument("--drive", nargs=2, metavar=("URL", "PAYLOADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.drive:  # the second process: drive the server, print JSON results
        url, payloads = args.drive
        bodies = json.loads(Path(payloads).read_text())
        out = [drive(url, route, body.encode(), args.rate, args.seconds, args.workers)
               for route, body in bodies.items()]
        print(json.dumps(out))
        return

    import torch

    from tradewind.serve import ServerThread, ServeSettings

    torch.set_num_threads(1)  # the driver process needs the other core
    with tempfile.TemporaryDirectory() as tmp:
        bundle_dir, candles, frame = make_bundle(Path(tmp) / "bundle")
        from tradewind.artifacts.bundle import load_bundle

        need = load_bundle(bundle_dir).min_candles
        history = candles.iloc[-(need + 50):]
        signal = {"symbol": "BTC/USDT", "timeframe": "1h", "candles": [
            {"timestamp": ts.isoformat(), **{k: float(v) for k, v in row.items()}}
            for ts, row in history.iterrows()]}
        predict = {"features": frame[-LOOKBACK:].tolist()}
        payloads = Path(tmp) / "payloads.json"
        payloads.write_text(json.dumps({"/v1/predict": json.dumps(predict),
                                        "/v1/signal": json.dumps(signal)}))
        settings = ServeSettings(model=str(bundle_dir), port=0, poll_seconds=0, log_level="warning")
        with ServerThread(settings) as server:
            print(f"server {server.url}: bundle lookback {LOOKBACK}, {frame.shape[1]} features, "
                  f"LSTM hidden {MODEL['hidden_size']}; /v1/signal sends {len(history)} candles "
                  f"(min {need}); target {args.rate:g} req/s for {args.seconds:g} s per endpoint, "
                  f"{args.workers} client threads in a second process")
            done = subprocess.run(
                [sys.executable, __file__, "--rate", str(args.rate), "--seconds", str(args.seconds),
                 "--workers", str(args.workers), "--drive", server.url, str(payloads)],
                capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr)
            return
        for result in json.loads(done.stdout.strip().splitlines()[-1]):
            lat = np.asarray(result["latencies"]) * 1000
            p50, p99 = (np.percentile(lat, [50, 99]) if lat.size else (float("nan"),) * 2)
            print(f"{result['route']:<12} sent {result['sent']:5d}  ok {result['ok']:5d}  "
                  f"failed {result['failed']:3d}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
                  f"achieved {result['ok'] / result['elapsed_s']:7.1f} req/s")


if __name__ == "__main__":
    main()
