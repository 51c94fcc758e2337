"""Request and response bodies of the HTTP API (they also make ``/openapi.json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CandleIn",
    "HealthOut",
    "ModelOut",
    "PredictOut",
    "PredictRequest",
    "SignalRequest",
]


class CandleIn(BaseModel):
    """One closed OHLCV bar; ``timestamp`` is its open time (ISO 8601 or Unix seconds, UTC)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    timestamp: datetime
    open: float = Field(gt=0)
    high: float = Field(gt=0)
    low: float = Field(gt=0)
    close: float = Field(gt=0)
    volume: float = Field(ge=0)


class SignalRequest(BaseModel):
    """Candles of one market, oldest first; the newest bar is the one signalled."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(min_length=1, examples=["BTC/USDT"])
    timeframe: str | None = Field(
        None, examples=["1h"], description="Bar length; inferred from the timestamps when omitted."
    )
    candles: list[CandleIn] = Field(
        description="At least the bundle's min_candles bars (see GET /v1/models)."
    )


class PredictRequest(BaseModel):
    """Raw (un-normalised) feature windows in the bundle's feature order."""

    model_config = ConfigDict(extra="forbid")

    features: list[Any] = Field(
        description="One window [lookback][n_features] or a batch [B][lookback][n_features]."
    )
    side: list[Any] | None = Field(
        None, description="Side features ([S] or [B][S]); only for bundles trained with them."
    )


class PredictOut(BaseModel):
    """Calibrated probabilities, one row per window, columns in ``classes`` order."""

    model_name: str
    model_version: str | None
    bundle_fingerprint: str
    classes: list[str]
    batched: bool
    probabilities: list[dict[str, float]]
    predicted: list[str]


class ModelOut(BaseModel):
    """The bundle being served."""

    name: str
    version: str | None
    source: str
    fingerprint: str
    loaded_at: datetime
    gate_passed: bool | None
    gate: dict[str, Any]
    classes: list[str]
    feature_names: list[str]
    side_names: list[str]
    lookback: int
    warmup_bars: int
    min_candles: int
    model: dict[str, Any]
    last_reload_error: str | None


class HealthOut(BaseModel):
    """Liveness and which version answers."""

    status: str
    model_name: str
    model_version: str | None
