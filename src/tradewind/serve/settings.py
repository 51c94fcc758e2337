"""What the model server serves and how: :class:`ServeSettings`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.config import RegistrySpec
from tradewind.policy import TradePolicy

__all__ = ["ServeSettings"]


class ServeSettings(BaseModel):
    """Settings of ``tradewind serve``.

    ``model`` is either a bundle directory (served as is, never reloaded) or a registry
    reference: an alias such as ``champion``, a version number or a run id. An alias is
    polled every ``poll_seconds`` and the server swaps to the version it points to as
    soon as it moves; a version number or run id is fixed. The bundle folder of a run over
    several symbols (one holding ``universe.json``) is served by symbol: each request's
    ``symbol`` picks that symbol's bundle. A registry reference is one bundle.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field("champion", min_length=1,
                       description="Bundle directory (a run's bundle folder of several symbols "
                       "is served by symbol), or registry alias / version / run id.")
    host: str = Field("127.0.0.1", description="Interface to bind; loopback unless you mean it.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0: any free port).")
    poll_seconds: float = Field(
        30.0, ge=0, description="How often to check whether the alias moved (0: never)."
    )
    registry: RegistrySpec = Field(default_factory=RegistrySpec,
                                   description="MLflow registry that registry references use.")
    cache_dir: Path | None = Field(
        None, description="Where registry bundles are downloaded and kept while served "
        "(default: a temporary folder, removed as soon as the bundle is loaded)."
    )
    require_signed: Path | None = Field(
        None, description="Ed25519 public key file: serve only bundles signed by it "
        "(`tradewind sign`); unsigned or altered ones are refused."
    )
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the served bundle's own trade policy on /v1/signal (its "
        "TradePolicy keys, e.g. threshold); empty: the policy the run chose and judged.",
    )
    allow_refused: bool = Field(
        False, description="Serve a bundle whose gate refused it (without an audited registry "
        "override); every answer still says gate_passed=false.")
    max_candles: int = Field(50_000, ge=1, description="Largest candle list /v1/signal accepts.")
    max_batch: int = Field(4096, ge=1, description="Most windows one /v1/predict call may send.")
    workers: int = Field(
        1, ge=1, le=64,
        description="uvicorn worker processes; with more than one, /metrics adds up every "
        "worker's counters (prometheus-client multiprocess mode, in a temporary folder).",
    )
    log_level: str = Field("info", description="uvicorn log level.")
    torch_threads: int = Field(
        1, ge=0,
        description="torch intra-op threads of each thread that runs the model (0: torch's "
        "default, one per core). One window is too small to split, and one thread leaves "
        "the other cores to the clients and whatever else runs on the machine.",
    )
    inline_max_bytes: int = Field(
        262_144, ge=0,
        description="Request bodies up to this size are answered on the event loop (fastest); "
        "bigger ones in a worker thread, so the server keeps taking in other requests.",
    )

    monitor_log: Path | None = Field(
        None, description="Signal log of `tradewind live` to monitor: its checks are "
        "recomputed every monitor_seconds and exported as tradewind_monitor_* gauges on /metrics.")
    monitor_seconds: float = Field(60.0, gt=0, description="Seconds between monitor checks.")
    monitor_symbol: str | None = Field(None, description="Series of the log to monitor "
                                       "(needed when it holds several).")
    monitor_timeframe: str | None = Field(None, description="Bar length of that series.")
    monitor: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the served bundle's stored monitor "
        "thresholds (tradewind.monitor.MonitorSpec keys, e.g. psi_breach).")

    @field_validator("monitor")
    @classmethod
    def _monitor_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        from tradewind.monitor import MonitorSpec

        MonitorSpec.model_validate(value)  # a bad threshold fails at start, not in the poller
        return value

    @field_validator("policy")
    @classmethod
    def _policy_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted({k.split(".")[0] for k in value} - set(TradePolicy.model_fields))
        if unknown:
            raise ValueError(f"policy overrides {unknown} are not trade policy keys; use "
                             f"{sorted(TradePolicy.model_fields)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = ("critical", "error", "warning", "info", "debug", "trace")
        if value.lower() not in levels:
            raise ValueError(f"log_level {value!r} is not one of {levels}")
        return value.lower()

    @property
    def is_path(self) -> bool:
        """True when ``model`` names an existing bundle directory rather than a registry entry."""
        text = self.model
        return Path(text).expanduser().is_dir() or "/" in text or "\\" in text or text.startswith(".")
