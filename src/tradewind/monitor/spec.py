"""The monitor's thresholds and windows: the experiment's ``monitor:`` section.

A run copies this section into its bundle (``manifest.monitoring.settings``), so
``tradewind monitor`` judges a deployed model by the thresholds its experiment chose;
``--set monitor_key=value`` overrides them for one call.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["MonitorSpec"]


class MonitorSpec(BaseModel):
    """What the monitor compares, over how many signals, and when it calls it a breach."""

    model_config = ConfigDict(extra="forbid")

    window: int = Field(500, ge=10, description="Newest resolved signals the realised metrics "
                        "and their intervals are judged on (also the rolling window of the charts).")
    min_resolved: int = Field(100, ge=10, description="Fewer labelled signals in the window: the "
                              "realised checks say 'not enough data' instead of judging.")
    min_trades: int = Field(20, ge=2, description="Fewer paper trades in the window: the return "
                            "checks say 'not enough trades'.")
    n_boot: int = Field(1000, ge=100, description="Bootstrap resamples per interval.")
    block: int | None = Field(None, ge=1, description="Block length in signals (24 when null; "
                              "never below the label horizon, never above a quarter of the window).")
    trade_block: int = Field(4, ge=1, description="Block length in trades for the return intervals.")
    level: float | None = Field(None, gt=0.5, lt=1.0, description="Interval level (null: the "
                                "level of the run's promises, else 0.95).")
    seed: int = Field(0, ge=0, description="Seed of the bootstrap draws.")
    bins: int = Field(10, ge=2, le=100, description="Quantile bins per feature stored in the "
                      "bundle at the final fit (used when a run writes its bundle).")
    drift_bars: int = Field(500, ge=20, description="Newest signal bars whose features are "
                            "compared with the training distribution.")
    psi_warn: float = Field(0.1, gt=0, description="A feature's PSI above this is a warning.")
    psi_breach: float = Field(0.25, gt=0, description="A feature's PSI above this is a breach.")
    ks_breach: float | None = Field(None, gt=0, le=1, description="A feature's KS statistic (at "
                                    "the stored quantile edges) above this is a breach (null: off).")
    max_class_share: float = Field(0.9, gt=0, le=1, description="One predicted class above this "
                                   "share of the newest signals is a breach (collapse).")
    ece_margin: float = Field(0.05, ge=0, description="Realised ECE whose interval lies above the "
                              "promised ECE plus this margin is a breach.")
    max_drawdown: float | None = Field(None, gt=0, le=1, description="Paper-trade drawdown "
                                       "(fraction of equity) above this is a breach (null: off).")
    rolling_points: int = Field(40, ge=2, description="Most rolling windows drawn in the charts.")

    @model_validator(mode="after")
    def _ordered(self) -> MonitorSpec:
        if self.psi_warn > self.psi_breach:
            raise ValueError(f"monitor.psi_warn ({self.psi_warn}) must not exceed "
                             f"monitor.psi_breach ({self.psi_breach})")
        if self.min_resolved > self.window:
            raise ValueError(f"monitor.min_resolved ({self.min_resolved}) must not exceed "
                             f"monitor.window ({self.window})")
        return self
