"""``monitor.json``: what one monitor check found, as typed sections (no free dicts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tradewind.config import MonitorSpec
from tradewind.monitor.drift import FeatureDrift
from tradewind.monitor.realised import WindowMetrics
from tradewind.monitor.reference import Promises

__all__ = ["MONITOR_SCHEMA_VERSION", "Breach", "DriftSection", "ModelInfo", "MonitorResult",
           "RealisedCheck", "SharesSection", "Status"]

MONITOR_SCHEMA_VERSION = "1.0"
Status = Literal["ok", "warning", "breach", "unavailable"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Breach(_Strict):
    """One check that failed, in a plain sentence."""

    check: str = Field(description="Check name: accuracy, mcc, ece, return_per_trade, drawdown, "
                       "feature_drift, class_share or prediction_drift.")
    level: Literal["warning", "breach"]
    subject: str | None = Field(None, description="The feature or class concerned, if any.")
    reason: str = Field(description="What was seen, against what threshold or promise.")


class RealisedCheck(_Strict):
    """A realised metric of the newest window beside the run's promise."""

    name: str
    value: float | None
    ci: list[float] | None = None
    promised: float | None = None
    promised_ci: list[float] | None = None
    status: Status
    note: str = ""


class DriftSection(_Strict):
    """Feature drift of the newest signal bars against the training bins."""

    available: bool
    reason: str | None = Field(None, description="Why drift could not be measured.")
    rows: int = 0
    first: str | None = None
    last: str | None = None
    features: list[FeatureDrift] = Field(default_factory=list, description="Largest PSI first.")


class SharesSection(_Strict):
    """Predicted-class shares of the newest signals against training."""

    signals: int = Field(description="Newest signals counted (resolved or not).")
    recent: dict[str, float] = Field(default_factory=dict)
    training: dict[str, float] | None = Field(None, description="On the final fit's training rows.")
    validation: dict[str, float] | None = None
    promised: dict[str, float] | None = Field(None, description="Out of sample, from the report.")
    psi: float | None = Field(None, description="PSI of the recent shares against training.")
    status: Status = "unavailable"


class ModelInfo(_Strict):
    """The bundle the signals were computed with."""

    name: str
    digest: str
    source: str | None = None
    gate_passed: bool | None = None
    created_at: str | None = None
    classes: list[str]
    horizon: int


class MonitorResult(_Strict):
    """Everything one monitor check found (written as ``monitor.json``)."""

    schema_version: str = MONITOR_SCHEMA_VERSION
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    log: str
    symbol: str
    timeframe: str
    as_of: str | None = Field(None, description="Newest signal bar considered (UTC).")
    model: ModelInfo
    settings: MonitorSpec
    promises: Promises | None
    signals: int = Field(description="Signals of this model in the log (up to as_of).")
    resolved: int = Field(description="Of them, with an outcome recorded.")
    other_labels: list[str] = Field(default_factory=list,
                                    description="Outcome labels that name no class (not scored).")
    current: WindowMetrics | None = Field(None, description="The newest window of resolved signals.")
    checks: list[RealisedCheck] = Field(default_factory=list)
    rolling: list[WindowMetrics] = Field(default_factory=list)
    drift: DriftSection
    shares: SharesSection
    breaches: list[Breach] = Field(default_factory=list, description="Breaches, then warnings.")

    @property
    def breached(self) -> bool:
        """True when at least one check is a breach (warnings do not count)."""
        return any(b.level == "breach" for b in self.breaches)
