"""What a trading signal is: the JSON object ``signal``, the server and the live loop emit.

A :class:`Signal` is decided at the **close** of one bar (``timestamp`` is that bar's open
time, UTC) from the bundle's calibrated probabilities. :class:`SignalSpec` says how the
probabilities become a direction and how the entry zone, stop and targets are placed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.labels.spec import ExitSpec

__all__ = ["Direction", "OrderType", "Signal", "SignalSpec"]


class Direction(StrEnum):
    """Side of the trade a signal asks for; FLAT means no trade."""

    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"


class OrderType(StrEnum):
    """How the entry is meant to be placed."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"


class Signal(BaseModel):
    """One bar's signal; JSON-serialisable with ``model_dump(mode="json")``.

    Levels (``entry_zone``, ``stop_loss``, ``take_profits``) are absolute prices measured
    from the signal bar's **close** (the entry reference of a live signal); they are None /
    empty for FLAT signals. ``risk_reward`` is the distance to the final take-profit
    divided by the distance to the stop.
    """

    model_config = ConfigDict(extra="forbid")

    symbol: str
    timeframe: str
    timestamp: datetime = Field(description="UTC open time of the bar whose close produced the signal.")
    direction: Direction
    probabilities: dict[str, float] = Field(description="Calibrated probability by class name.")
    confidence: float = Field(description="The largest class probability.")
    order_type: OrderType
    entry_zone: tuple[float, float] | None = Field(description="[low, high] entry prices.")
    stop_loss: float | None
    take_profits: list[float] = Field(description="Partial targets first, the final target last.")
    risk_reward: float | None
    valid_until: datetime = Field(description="UTC time after which the signal is stale.")
    model_name: str
    model_version: str | None
    bundle_fingerprint: str
    members: int = Field(1, ge=1, description="Bundles combined (1 unless an ensemble).")
    agreement: float | None = Field(
        None, description="Share of ensemble members whose own argmax side equals the direction."
    )
    gate_passed: bool = Field(False, description="Whether the bundle's promotion gate passed "
                              "(false also when no verdict was recorded).")
    override_reason: str | None = Field(
        None, description="Reason of the audited override a refused bundle runs under, if any.")
    warnings: list[str] = Field(default_factory=list, description="What the bundle's data "
                                "policy found in the candles given (gaps filled or allowed).")


class SignalSpec(BaseModel):
    """How calibrated probabilities become a :class:`Signal`.

    Distances use ``exits.unit``: with ``"atr"`` they are multiples of ATR(``atr_period``)
    at the signal bar, with ``"pct"`` fractions of the signal bar's close.
    """

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(
        0.55, ge=0, le=1, description="FLAT when the winning probability is below this."
    )
    exits: ExitSpec = Field(
        default_factory=lambda: ExitSpec(take_profit=3.0, stop_loss=2.0, unit="atr"),
        description="Take-profit and stop distances (labels.ExitSpec).",
    )
    order_type: OrderType = OrderType.MARKET
    entry_zone_atr: float = Field(
        0.25, ge=0,
        description="Half-width of the entry zone in ATRs (a fraction of the close with unit 'pct').",
    )
    valid_bars: int = Field(1, ge=1, description="Bars after the signal bar's close it stays valid.")
    partial_targets: list[float] = Field(
        default_factory=list,
        description="Extra take-profit distances before the final one (same unit as exits).",
    )

    @field_validator("partial_targets")
    @classmethod
    def _ascending_positive(cls, value: list[float]) -> list[float]:
        if any(v <= 0 for v in value) or any(b <= a for a, b in pairwise(value)):
            raise ValueError(
                f"partial_targets {value} must be positive and strictly ascending "
                "(nearest target first)"
            )
        return value

    @model_validator(mode="after")
    def _targets_before_final(self) -> SignalSpec:
        if self.partial_targets and self.partial_targets[-1] >= self.exits.take_profit:
            raise ValueError(
                f"partial_targets {self.partial_targets} must all lie before the final "
                f"take-profit {self.exits.take_profit}; raise exits.take_profit or drop them"
            )
        return self
