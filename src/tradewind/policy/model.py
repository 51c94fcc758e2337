"""The trade policy: how calibrated probabilities become positions, as one typed object.

A :class:`TradePolicy` is fitted on a fold's validation rows (see
:func:`tradewind.backtest.fit_policy`), stored in the bundle, and read unchanged by the
run's backtest, ``tradewind backtest``, ``signal``, ``serve`` and ``live``, so what runs live
is what was judged.

A row's decision, in order (``p`` = calibrated class probabilities of the bar):

1. **Side and confidence.** ``confidence="winner"``: the argmax class's side (UP/BUY long,
   DOWN/SELL short, HOLD flat) with confidence ``p[argmax]``. ``confidence="margin"``:
   ``m = p(long classes) − p(short classes)``, side ``sign(m)``, confidence ``|m|``.
2. **Threshold.** Flat unless ``confidence >= threshold``.
3. **Sides.** ``sides="long"`` drops shorts, ``"short"`` drops longs.
4. **Expected value** (when ``min_edge`` is set): with ``win``/``loss`` the typical gross
   move of a winning/losing trade of these exits (fractions of the entry, measured on
   training rows) and ``cost`` the round trip, trade only when
   ``p(side) · win − p(opposite) · loss − cost > min_edge``.
5. **Meta-labeling** (when ``meta`` is set): a second model's P(the trade pays after
   costs), from ``p(side)`` and the market state (:mod:`tradewind.policy.meta`), must reach
   its ``min_probability``.
6. **Size.** ``sizing="fixed"``: ``fraction`` of equity; ``"kelly"``: fractional Kelly
   ``k · (p·b − (1−p)) / b`` with ``b = win / loss`` (or take-profit / stop), capped.

Rows with NaN probabilities (no prediction) are flat. A policy with ``trade=False`` never
trades: it is what fitting returns when no candidate paid after costs on validation rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tradewind.exceptions import ConfigError, DataError
from tradewind.labels.spec import ExitSpec, LabelSpec
from tradewind.policy.meta import MetaFilter

__all__ = [
    "Decision",
    "TradePolicy",
    "class_sides",
    "decide",
    "default_exits",
    "kelly_fraction",
]


def default_exits(labels: LabelSpec) -> ExitSpec:
    """The labels' own exits (triple-barrier), else 3 ATR take-profit / 2 ATR stop held at
    most the label horizon: the trade a direction label describes, with a protective stop."""
    return labels.exits if labels.exits is not None else ExitSpec(take_profit=3.0, stop_loss=2.0)

_SIDES = {"UP": 1, "BUY": 1, "DOWN": -1, "SELL": -1, "HOLD": 0}


def class_sides(classes: Sequence[str]) -> np.ndarray:
    """Trade side of each class (+1 UP/BUY, -1 DOWN/SELL, 0 HOLD); DataError for others."""
    unknown = [c for c in classes if c not in _SIDES]
    if unknown or not classes:
        raise DataError(
            f"trade policy: classes {list(classes)} include {unknown or 'nothing'} without a "
            "trade direction; policies need ('DOWN', 'UP') or ('SELL', 'HOLD', 'BUY') models"
        )
    return np.asarray([_SIDES[c] for c in classes], dtype=np.int8)


class TradePolicy(BaseModel):
    """A fitted (or chosen) trade policy; see the module docstring for the decision rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trade: bool = Field(True, description="False: never trade (no candidate paid on validation).")
    confidence: Literal["winner", "margin"] = Field(
        "winner", description="Winning-class probability, or p(long) − p(short)."
    )
    threshold: float = Field(0.0, ge=0, le=1, description="Flat when the confidence is below this.")
    sides: Literal["both", "long", "short"] = "both"
    exit_name: str = Field("labels", description="Which exit candidate this is, for reports.")
    exits: ExitSpec | None = Field(
        None, description="Stop and take-profit; None: time exit only (after max_holding bars)."
    )
    max_holding: int = Field(1, ge=1, description="Bars a trade lasts at most.")
    min_edge: float | None = Field(
        None, description="Expected-value filter: expected net return per trade (fraction) must "
        "exceed this; None switches the filter off.",
    )
    win: float | None = Field(None, ge=0, description="Typical gross win (fraction), training rows.")
    loss: float | None = Field(None, ge=0, description="Typical gross loss (fraction), training rows.")
    cost: float = Field(0.0, ge=0, description="Round-trip cost (fraction) the filter subtracts.")
    sizing: Literal["fixed", "kelly"] = "fixed"
    fraction: float = Field(1.0, gt=0, le=1, description="Equity fraction with sizing 'fixed'.")
    kelly_multiplier: float = Field(0.5, gt=0, le=1, description="k in f = k·(p·b − (1−p))/b.")
    cap: float = Field(0.25, gt=0, le=1, description="Largest Kelly fraction.")
    take_profit_ladder: list[float] | None = Field(
        None, description="Take-profit ladder in the exits' unit, nearest first; replaces "
        "exits.take_profit. None: one take-profit.",
    )
    partial_fractions: list[float] | None = Field(
        None, description="Share of the original position closed at each ladder target (sum 1).",
    )
    order_type: Literal["MARKET", "LIMIT"] = Field("MARKET", description="How a live signal enters.")
    entry_zone_atr: float = Field(
        0.25, ge=0, description="Half-width of a live signal's entry zone in ATRs (or a fraction "
        "of the close with exits.unit 'pct').",
    )
    valid_bars: int = Field(1, ge=1, description="Bars after the signal bar a live signal stays valid.")
    meta: MetaFilter | None = Field(
        None, description="Meta-labeling filter fitted on validation trades; None: no filter."
    )

    @model_validator(mode="after")
    def _consistent(self) -> TradePolicy:
        if self.min_edge is not None and (self.win is None or self.loss is None):
            raise ValueError("min_edge needs win and loss (typical trade sizes from training rows)")
        targets, fractions = self.take_profit_ladder, self.partial_fractions
        if targets is None:
            if fractions is not None:
                raise ValueError(
                    f"partial_fractions {fractions} without take_profit_ladder; give the targets "
                    "too, or drop the fractions"
                )
            return self
        if self.exits is None:
            raise ValueError("take_profit_ladder needs exits with a stop (not a time-only exit)")
        if not targets or any(not v > 0 for v in targets) or any(
            b <= a for a, b in pairwise(targets)
        ):
            raise ValueError(
                f"take_profit_ladder {targets} must be non-empty, positive and strictly ascending "
                "(nearest target first)"
            )
        if fractions is not None and (
            len(fractions) != len(targets)
            or any(not f > 0 for f in fractions)
            or not math.isclose(sum(fractions), 1.0, abs_tol=1e-9)
        ):
            raise ValueError(
                f"partial_fractions {fractions} must have one value > 0 per target "
                f"({len(targets)}) and sum to 1"
            )
        return self

    @classmethod
    def every_signal(cls, labels: LabelSpec, exits: ExitSpec | None = None) -> TradePolicy:
        """Trade every bar's argmax side with the labels' exits (or ``exits``): the naive
        policy, for comparison, and the policy of bundles saved without one."""
        spec = exits or default_exits(labels)
        holding = spec.holding_bars(labels.horizon)
        return cls(exit_name="labels", exits=spec.model_copy(update={"max_holding": holding}),
                   max_holding=holding)

    def with_overrides(self, overrides: Mapping[str, Any], where: str = "--set") -> TradePolicy:
        """This policy with dotted-key overrides (``threshold``, ``exits.stop_loss``; a leading
        ``policy.`` is accepted), validated; a ConfigError names the bad key."""
        if not overrides:
            return self
        raw = self.model_dump(mode="python")
        for dotted, value in overrides.items():
            parts = dotted.removeprefix("policy.").split(".")
            node = raw
            for part in parts[:-1]:
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                if not isinstance(child, dict):
                    raise ConfigError(f"{where} {dotted}: {part!r} holds a value, not a section")
                node = child
            node[parts[-1]] = value
        try:
            result = TradePolicy.model_validate(raw)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})"
                if e["type"] != "extra_forbidden" else
                f"{'.'.join(map(str, e['loc']))}: unknown policy key"
                for e in err.errors())
            raise ConfigError(f"{where}: invalid trade policy override: {problems}") from None
        dumped = result.model_dump(mode="python")
        for dotted, value in overrides.items():
            got: Any = dumped
            for part in dotted.removeprefix("policy.").split("."):
                got = got.get(part) if isinstance(got, dict) else None
            if isinstance(value, bool) and not isinstance(got, bool):
                raise ConfigError(f"{where}: {dotted}: a boolean ({value}) where a number belongs")
        return result

    def ladder(self) -> tuple[list[float], list[float]] | None:
        """``(targets, fractions)`` of the partial take-profits (equal shares by default)."""
        if self.take_profit_ladder is None:
            return None
        k = len(self.take_profit_ladder)
        return list(self.take_profit_ladder), list(self.partial_fractions or [1.0 / k] * k)

    def payoff(self) -> float:
        """Win/loss size ratio ``b`` for Kelly sizing (1 when nothing tells it)."""
        if self.win is not None and self.loss:
            return self.win / self.loss
        if self.exits is not None:
            ladder = self.ladder()
            reward = self.exits.take_profit if ladder is None else float(np.dot(*ladder))
            return reward / self.exits.stop_loss
        return 1.0

    def describe(self) -> str:
        """One line for tables: the parameters that were searched."""
        if not self.trade:
            return "no trade (nothing paid after costs on validation)"
        conf = "p(win)" if self.confidence == "winner" else "margin"
        edge = "" if self.min_edge is None else f", EV > {self.min_edge * 1e4:+.1f} bp"
        meta = "" if self.meta is None else f", meta ≥ {self.meta.min_probability:.2f}"
        return f"{conf} ≥ {self.threshold:.2f}, {self.sides}, exit {self.exit_name}{edge}{meta}"


@dataclass(frozen=True)
class Decision:
    """A policy's decision per row: ``direction`` int8 (+1/-1/0), ``size`` > 0 where trading,
    ``confidence`` and ``p_side`` (the probability of the side taken) float64."""

    direction: np.ndarray
    size: np.ndarray
    confidence: np.ndarray
    p_side: np.ndarray


def kelly_fraction(p: np.ndarray, payoff: float, multiplier: float, cap: float) -> np.ndarray:
    """Fractional Kelly ``f = k·(p·b − (1−p))/b`` clipped to ``[0, cap]``; ``b`` = win/loss size."""
    if payoff <= 0:
        raise DataError(f"kelly_fraction: payoff ratio must be > 0, got {payoff}")
    p = np.asarray(p, dtype=np.float64)
    f = multiplier * (p * payoff - (1.0 - p)) / payoff
    return np.clip(np.nan_to_num(f, nan=0.0), 0.0, cap)


def decide(
    proba: np.ndarray,
    classes: Sequence[str],
    policy: TradePolicy,
    state: np.ndarray | None = None,
) -> Decision:
    """Apply ``policy`` to calibrated probabilities ``proba`` [T, C] (columns: ``classes``).

    ``state`` [T, 4] is :func:`tradewind.policy.meta.state_features` of the same rows; a
    policy with a meta filter needs it.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise DataError(
            f"trade policy: probabilities have shape {proba.shape}, expected (T, {len(classes)}) "
            f"(one column per class {tuple(classes)})"
        )
    n = proba.shape[0]
    sides = class_sides(classes)
    valid = np.isfinite(proba).all(axis=1)
    p = np.where(valid[:, None], proba, 0.0)
    p_long = p[:, sides > 0].sum(axis=1)
    p_short = p[:, sides < 0].sum(axis=1)
    if policy.confidence == "winner":
        winner = p.argmax(axis=1)
        side = sides[winner].astype(np.int8)
        confidence = p[np.arange(n), winner]
    else:
        margin = p_long - p_short
        side = np.sign(margin).astype(np.int8)
        confidence = np.abs(margin)
    p_side = np.where(side > 0, p_long, np.where(side < 0, p_short, 0.0))
    p_against = np.where(side > 0, p_short, np.where(side < 0, p_long, 0.0))
    trade = valid & (confidence >= policy.threshold) & (side != 0) & policy.trade
    if policy.sides == "long":
        trade &= side > 0
    elif policy.sides == "short":
        trade &= side < 0
    if policy.min_edge is not None:
        assert policy.win is not None and policy.loss is not None  # the validator ensures it
        expected = p_side * policy.win - p_against * policy.loss - policy.cost
        trade &= expected > policy.min_edge
    if policy.meta is not None:
        if state is None or state.shape[0] != n:
            raise DataError("trade policy: a meta-labeled policy needs the market state of the "
                            "same rows (tradewind.policy.meta.state_features of the candles)")
        trade &= policy.meta.allows(np.column_stack([p_side, state]))
    if policy.sizing == "kelly":
        size = kelly_fraction(p_side, policy.payoff(), policy.kelly_multiplier, policy.cap)
        trade &= size > 0
    else:
        size = np.full(n, policy.fraction)
    direction = np.where(trade, side, 0).astype(np.int8)
    return Decision(direction=direction, size=np.where(trade, size, 0.0),
                    confidence=confidence, p_side=p_side)
