"""Model artifacts: the MLflow registry (runs, versions, candidate → champion aliases)."""

from tradewind.artifacts.registry import (
    ENV_TRACKING_URI,
    PromotionRecord,
    Registry,
    RunRecord,
    VersionRow,
)

__all__ = [
    "ENV_TRACKING_URI",
    "PromotionRecord",
    "Registry",
    "RunRecord",
    "VersionRow",
]
