"""The small universe experiment the multi-symbol tests train: planted markets, a tiny LSTM.

It learns in seconds, so every test area (pipeline, serve, live, Ray) can build its own run
over several symbols from the same settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def planted(seed: int, bars: int = 1200) -> str:
    """An hourly synthetic market with a planted edge."""
    return f"synthetic:planted?bars={bars}&seed={seed}&timeframe=1h"


def tiny_universe(sources: Mapping[str, str] | None, *, name: str = "universe",
                  mode: str = "pooled", **extra: Any) -> dict[str, Any]:
    """The raw experiment over ``sources`` (symbol → data source; None: no ``data`` key)
    in ``mode``; ``extra`` replaces whole sections (``universe={...}`` included)."""
    raw: dict[str, Any] = {
        "name": name, "seed": 2,
        "universe": {"mode": mode},
        "features": {"sets": ["core15"]}, "labels": {"kind": "direction", "horizon": 1},
        "lookback": 4, "split": {"n_folds": 2, "min_train": 0.5},
        "model": {"name": "lstm", "hidden_size": 8, "num_layers": 1, "bidirectional": False},
        "training": {"epochs": 2}, "bootstrap": {"n_boot": 100},
        "registry": {"enabled": False}, "importance": {"enabled": False},
    }
    if sources is not None:
        raw["data"] = {"sources": [{"source": s, "symbol": n} for n, s in sources.items()]}
    return {**raw, **extra}
