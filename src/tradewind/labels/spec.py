"""Label configuration: what a label means, how far it looks ahead, which exits it assumes.

``LabelSpec`` is the ``labels:`` section of an experiment file. ``ExitSpec`` describes one
trade (entry, take-profit, stop, time exit); the triple-barrier labeller and the backtester
read the same object, so the exits a model learns are the exits it is judged by.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AdaptiveThreshold",
    "ExitSpec",
    "LabelKind",
    "LabelSpec",
    "class_names",
]

LabelKind = Literal["direction", "ternary", "triple_barrier", "forward_return"]

_CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "direction": ("DOWN", "UP"),
    "ternary": ("SELL", "HOLD", "BUY"),
    "triple_barrier": ("SELL", "HOLD", "BUY"),
    "forward_return": (),
}


class ExitSpec(BaseModel):
    """One trade's exits, shared by the triple-barrier labels and the backtester.

    The trade, exactly:

    1. **Entry.** A signal computed at the close of bar ``t`` is filled at the **open of
       bar t+1**; that open is the entry price ``P``.
    2. **Levels** (fixed at entry, never moved). With ``unit="atr"`` the distance is a
       multiple of ATR(``atr_period``) measured at bar ``t`` (Wilder smoothing, bars up to
       and including ``t``); with ``unit="pct"`` it is a fraction of ``P``
       (``take_profit=0.01`` is 1 %). Long: take-profit ``P + take_profit × ATR_t``
       (or ``P × (1 + take_profit)``), stop ``P − stop_loss × ATR_t`` (or
       ``P × (1 − stop_loss)``). Short: mirrored (take-profit below, stop above).
    3. **Scan.** Bars ``t+1 … t+max_holding`` are checked in order with their high and low;
       touching a level is enough (long: ``high ≥ take-profit``, ``low ≤ stop``; within a
       relative 1e-9, so floating-point rounding of a level does not hide a touch).
    4. **Same bar.** When one bar touches both levels the **stop counts first**: the path
       inside a bar is unknown, so the worse outcome is assumed.
    5. **Gaps.** When a bar opens beyond a level, the fill is at that bar's open (worse than
       the stop, better than the take-profit).
    6. **Time exit.** If neither level is touched, the position is closed at the **close of
       bar t+max_holding** (the vertical barrier).

    Fees and slippage are not part of the exits; the backtester adds them.

    Attributes
    ----------
    take_profit, stop_loss:
        Distances to the levels, in ATRs or fractions of the entry price (both > 0).
    unit:
        ``"atr"`` (volatility-scaled) or ``"pct"`` (fraction of the entry price).
    atr_period:
        ATR length in bars (used only with ``unit="atr"``).
    max_holding:
        Bars to hold at most; ``None`` means the label horizon (see :meth:`holding_bars`).
    """

    model_config = ConfigDict(extra="forbid")

    take_profit: float = Field(gt=0, description="Distance to the take-profit level (ATRs or fraction).")
    stop_loss: float = Field(gt=0, description="Distance to the stop level (ATRs or fraction).")
    unit: Literal["atr", "pct"] = "atr"
    atr_period: int = Field(14, ge=1, description="ATR length in bars (unit 'atr').")
    max_holding: int | None = Field(
        None, ge=1, description="Bars to hold at most; None means the label horizon."
    )

    def holding_bars(self, horizon: int) -> int:
        """Bars the trade may last: ``max_holding``, or ``horizon`` when it is None."""
        return int(self.max_holding) if self.max_holding is not None else int(horizon)


class AdaptiveThreshold(BaseModel):
    """A ternary threshold that follows volatility.

    ``threshold_t = max(floor, multiplier × std_t × sqrt(horizon))`` where ``std_t`` is the
    sample standard deviation (ddof=1) of the last ``window`` one-bar log returns, up to and
    including bar ``t``. Bars with fewer than ``window`` returns behind them have no
    threshold and therefore no label (-1).
    """

    model_config = ConfigDict(extra="forbid")

    multiplier: float = Field(1.2, gt=0, description="Scale applied to the rolling volatility.")
    window: int = Field(100, ge=2, description="Number of one-bar log returns in the rolling std.")
    floor: float = Field(0.003, ge=0, description="Smallest threshold, as a fraction (0.003 = 0.3 %).")


class LabelSpec(BaseModel):
    """What the model is asked to predict for the bar at ``t``, looking ``horizon`` bars ahead.

    Kinds (``fwd = close[t+horizon] / close[t] − 1``):

    - ``direction``: UP if ``fwd > 0``, DOWN if ``fwd < 0``; an exactly flat move has no label.
    - ``ternary``: BUY if ``fwd > thr_t``, SELL if ``fwd < −thr_t``, else HOLD; ``thr_t`` is
      ``threshold`` or, with ``adaptive``, the volatility-scaled threshold.
    - ``triple_barrier``: the trade of ``exits`` (entry at bar t+1's open); take-profit first
      → BUY, stop first → SELL, neither → HOLD.
    - ``forward_return``: no classes; the target is ``fwd`` itself.
    """

    model_config = ConfigDict(extra="forbid")

    kind: LabelKind = "direction"
    horizon: int = Field(1, ge=1, description="Bars the label looks ahead.")
    threshold: float = Field(
        0.0, ge=0, description="Fixed ternary threshold on the forward return (0.01 = 1 %)."
    )
    adaptive: AdaptiveThreshold | None = Field(
        None, description="Volatility-scaled ternary threshold instead of the fixed one."
    )
    exits: ExitSpec | None = Field(None, description="The trade for triple_barrier labels.")

    @model_validator(mode="after")
    def _exits_required_for_triple_barrier(self) -> LabelSpec:
        if self.kind == "triple_barrier" and self.exits is None:
            raise ValueError(
                "exits: kind 'triple_barrier' needs an exits section, e.g. "
                "exits: {take_profit: 2.0, stop_loss: 1.0, unit: atr}"
            )
        return self

    @model_validator(mode="after")
    def _exits_only_for_triple_barrier(self) -> LabelSpec:
        if self.kind != "triple_barrier" and self.exits is not None:
            raise ValueError(
                f"exits: only kind 'triple_barrier' uses exits (kind is {self.kind!r}); "
                "remove the exits section or set kind: triple_barrier"
            )
        return self

    @model_validator(mode="after")
    def _max_holding_within_horizon(self) -> LabelSpec:
        holding = None if self.exits is None else self.exits.max_holding
        if holding is not None and holding > self.horizon:
            raise ValueError(
                f"exits.max_holding: {holding} exceeds horizon {self.horizon}; labels may "
                f"not look past the horizon the splits purge for. Set horizon >= {holding} "
                "or lower max_holding"
            )
        return self

    @model_validator(mode="after")
    def _threshold_only_for_ternary(self) -> LabelSpec:
        if self.kind != "ternary" and self.threshold != 0.0:
            raise ValueError(
                f"threshold: {self.threshold} is only used by kind 'ternary' (kind is "
                f"{self.kind!r}); remove it or set kind: ternary"
            )
        return self

    @model_validator(mode="after")
    def _adaptive_only_for_ternary(self) -> LabelSpec:
        if self.kind != "ternary" and self.adaptive is not None:
            raise ValueError(
                f"adaptive: only kind 'ternary' uses an adaptive threshold (kind is "
                f"{self.kind!r}); remove it or set kind: ternary"
            )
        return self

    @model_validator(mode="after")
    def _one_threshold_source(self) -> LabelSpec:
        if self.adaptive is not None and self.threshold != 0.0:
            raise ValueError(
                f"threshold: {self.threshold} and adaptive are both set; use one. With "
                "adaptive, adaptive.floor is the smallest threshold"
            )
        return self


def class_names(spec: LabelSpec) -> tuple[str, ...]:
    """Class names in label-index order: direction → ("DOWN", "UP"); ternary and
    triple_barrier → ("SELL", "HOLD", "BUY"); forward_return → () (no classes)."""
    return _CLASS_NAMES[spec.kind]
