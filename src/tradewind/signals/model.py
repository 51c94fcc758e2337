"""What a trading signal is: the JSON object ``signal``, the server and the live loop emit.

A :class:`Signal` is decided at the **close** of one bar (``timestamp`` is that bar's open
time, UTC) from the bundle's calibrated probabilities by a
:class:`~tradewind.policy.TradePolicy` (direction, size, entry zone, stop and targets).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Direction", "OrderType", "Signal"]


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
    size: float = Field(0.0, ge=0, description="Equity fraction the policy commits (0 when FLAT).")
    valid_until: datetime = Field(description="UTC time after which the signal is stale.")
    max_holding_bars: int | None = Field(None, description="Bars the trade lasts at most (time exit).")
    policy: str | None = Field(None, description="The trade policy that decided it, in words.")
    model_name: str
    model_version: str | None
    bundle_fingerprint: str = Field(
        description="sha256 of the model (manifest and weights; of an ensemble, its members "
        "and weights), not of its training data: two models never share it.")
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

