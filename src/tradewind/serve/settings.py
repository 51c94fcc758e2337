"""What the model server serves and how: :class:`ServeSettings`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.config import RegistrySpec
from tradewind.signals.model import SignalSpec

__all__ = ["ServeSettings"]


class ServeSettings(BaseModel):
    """Settings of ``tradewind serve``.

    ``model`` is either a bundle directory (served as is, never reloaded) or a registry
    reference: an alias such as ``champion``, a version number or a run id. An alias is
    polled every ``poll_seconds`` and the server swaps to the version it points to as
    soon as it moves; a version number or run id is fixed.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field("champion", min_length=1,
                       description="Bundle directory, or registry alias / version / run id.")
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
    signal: SignalSpec = Field(default_factory=SignalSpec,
                               description="How probabilities become signals on /v1/signal.")
    max_candles: int = Field(50_000, ge=1, description="Largest candle list /v1/signal accepts.")
    max_batch: int = Field(4096, ge=1, description="Most windows one /v1/predict call may send.")
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
