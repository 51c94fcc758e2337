"""The ``policy:`` section of an experiment: the small space a trade policy is chosen from.

Every walk-forward fold picks one candidate on its **validation rows only** (calibrated
probabilities, the fold's own costs) by a lower confidence bound of after-cost return per
trade, with at least ``min_trades`` validation trades; ties go to fewer trades. The choice
is then applied unchanged to the fold's test rows. The defaults search thresholds, sides,
an expected-value filter and four exits; a user need not touch them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.labels.spec import ExitSpec

__all__ = ["MetaSpec", "PolicyExit", "PolicySpec"]


class PolicyExit(BaseModel):
    """One exit candidate: the labels' own exits, a time exit only, or an ATR stop/target pair."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["labels", "time", "atr"]
    take_profit: float | None = Field(None, gt=0, description="kind 'atr': target in ATRs.")
    stop_loss: float | None = Field(None, gt=0, description="kind 'atr': stop in ATRs.")
    max_holding: int | None = Field(None, ge=1, description="Bars to hold; None: the label horizon.")

    @model_validator(mode="after")
    def _levels(self) -> PolicyExit:
        has = (self.take_profit is not None, self.stop_loss is not None)
        if self.kind == "atr" and not all(has):
            raise ValueError("an 'atr' exit needs take_profit and stop_loss (in ATRs)")
        if self.kind != "atr" and any(has):
            raise ValueError(f"a {self.kind!r} exit takes no take_profit/stop_loss; use kind 'atr'")
        return self

    @property
    def name(self) -> str:
        hold = "" if self.max_holding is None else f" ≤{self.max_holding} bars"
        if self.kind == "atr":
            return f"atr {self.take_profit:g}/{self.stop_loss:g}{hold}"
        return f"{self.kind}{hold}"

    def resolve(self, labels_exits: ExitSpec, horizon: int) -> tuple[ExitSpec | None, int]:
        """``(exits, max_holding)``: the ExitSpec to simulate (None: time exit only)."""
        if self.kind == "labels":
            holding = self.max_holding or labels_exits.holding_bars(horizon)
            return labels_exits.model_copy(update={"max_holding": holding}), holding
        holding = self.max_holding or horizon
        if self.kind == "time":
            return None, holding
        spec = ExitSpec(take_profit=float(self.take_profit), stop_loss=float(self.stop_loss),
                        unit="atr", atr_period=labels_exits.atr_period, max_holding=holding)
        return spec, holding


def _default_exits() -> list[PolicyExit]:
    return [
        PolicyExit(kind="labels"),
        PolicyExit(kind="time"),
        PolicyExit(kind="atr", take_profit=1.0, stop_loss=1.0),
        PolicyExit(kind="atr", take_profit=2.0, stop_loss=1.0),
    ]


class MetaSpec(BaseModel):
    """Meta-labeling: a second classifier that says whether the primary's trade would pay.

    Fitted on the first ``1 - holdout`` of the fold's validation trades (inputs: the
    primary's calibrated probabilities, volatility, volume z-score, time of day; target:
    net return after costs > 0), checked on the rest; never on test rows.
    """

    model_config = ConfigDict(extra="forbid")

    model: Literal["logistic"] = "logistic"
    min_probability: float = Field(0.5, gt=0, lt=1, description="Trade when P(pays) ≥ this.")
    holdout: float = Field(0.4, gt=0, lt=1, description="Share of validation trades kept to check it.")
    min_rows: int = Field(40, ge=10, description="Validation trades needed to fit it at all.")


class PolicySpec(BaseModel):
    """How each fold chooses its trade policy (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    fit: bool = Field(True, description="False: trade every signal (the naive policy), no search.")
    confidence: list[Literal["winner", "margin"]] = Field(
        default_factory=lambda: ["winner", "margin"], description="Confidence measures to try."
    )
    thresholds: list[float] = Field(
        default_factory=lambda: [0.0, 0.52, 0.55, 0.58, 0.6, 0.65, 0.7],
        description="Winning-class probability thresholds to try.",
    )
    margins: list[float] = Field(
        default_factory=lambda: [0.0, 0.05, 0.1, 0.15, 0.2, 0.3],
        description="Margin thresholds p(long) − p(short) to try.",
    )
    sides: list[Literal["both", "long", "short"]] = Field(
        default_factory=lambda: ["both", "long", "short"]
    )
    expected_value: list[bool] = Field(
        default_factory=lambda: [False, True],
        description="Try without and with the expected-value filter.",
    )
    min_edge_bps: float = Field(
        0.0, description="EV filter: expected net return per trade must exceed this (bp)."
    )
    exits: list[PolicyExit] = Field(default_factory=_default_exits)
    objective: Literal["return_lcb", "sharpe_lcb"] = Field(
        "return_lcb", description="Lower bound of net return per trade, or of per-bar Sharpe."
    )
    level: float = Field(0.9, gt=0.5, lt=1, description="One-sided confidence of the lower bound.")
    min_trades: int = Field(20, ge=2, description="Validation trades a candidate needs.")
    require_edge: bool = Field(
        True, description="When no candidate's lower bound is above 0, do not trade at all."
    )
    sizing: Literal["fixed", "kelly"] = "fixed"
    fraction: float = Field(1.0, gt=0, le=1)
    kelly_multiplier: float = Field(0.5, gt=0, le=1)
    cap: float = Field(0.25, gt=0, le=1)
    take_profit_ladder: list[float] | None = None
    partial_fractions: list[float] | None = None
    order_type: Literal["MARKET", "LIMIT"] = "MARKET"
    entry_zone_atr: float = Field(0.25, ge=0)
    valid_bars: int = Field(1, ge=1)
    meta: MetaSpec | None = None

    @field_validator("confidence", "sides", "expected_value", "exits")
    @classmethod
    def _not_empty(cls, value: list) -> list:
        if not value:
            raise ValueError("the policy grid needs at least one value here")
        return value

    @field_validator("thresholds", "margins")
    @classmethod
    def _unit_interval(cls, value: list[float]) -> list[float]:
        bad = [v for v in value if not 0.0 <= v <= 1.0]
        if bad:
            raise ValueError(f"thresholds must lie in [0, 1]; got {bad}")
        return sorted(set(value))

    @model_validator(mode="after")
    def _grids_for_measures(self) -> PolicySpec:
        for measure, grid in (("winner", self.thresholds), ("margin", self.margins)):
            if measure in self.confidence and not grid:
                name = "thresholds" if measure == "winner" else "margins"
                raise ValueError(f"confidence {measure!r} is searched but policy.{name} is empty")
        return self

    def n_candidates(self) -> int:
        """Size of the search space (candidates per fold)."""
        per_measure = sum(
            len(self.thresholds if m == "winner" else self.margins) for m in self.confidence
        )
        return per_measure * len(self.sides) * len(self.expected_value) * len(self.exits)
