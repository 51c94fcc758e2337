"""Request and response bodies of the HTTP API (they also make ``/openapi.json``).

Request bodies are validated straight from the JSON bytes by pydantic-core
(:func:`tradewind.serve.payloads.read_body`), so they are built for that path: a candle
row is a ``TypedDict`` (no model instance per bar) and the candles may also come as
columns, which parse fastest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from typing_extensions import TypedDict

__all__ = [
    "CANDLE_FIELDS",
    "CandleColumns",
    "CandleIn",
    "HealthOut",
    "ModelOut",
    "PredictOut",
    "PredictRequest",
    "SignalRequest",
]

CANDLE_FIELDS = ("timestamp", "open", "high", "low", "close", "volume")
"""Keys of one candle row, and of the columnar form, in this order."""

Price = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Volume = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CandleIn(TypedDict):
    """One closed OHLCV bar; ``timestamp`` is its open time (ISO 8601 or Unix seconds, UTC
    when no offset is given)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    timestamp: datetime
    open: Price
    high: Price
    low: Price
    close: Price
    volume: Volume


class CandleColumns(BaseModel):
    """The same bars as columns: one list per field, all of one length, oldest first."""

    model_config = ConfigDict(extra="forbid")

    timestamp: list[datetime]
    open: list[Price]
    high: list[Price]
    low: list[Price]
    close: list[Price]
    volume: list[Volume]

    @model_validator(mode="after")
    def _same_lengths(self) -> CandleColumns:
        lengths = {name: len(getattr(self, name)) for name in CANDLE_FIELDS}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"every column needs one value per candle; lengths are {lengths}")
        return self


def _candles_form(value: Any) -> str | None:
    if isinstance(value, list):
        return "rows"
    if isinstance(value, dict | CandleColumns):
        return "columns"
    return None


Candles = Annotated[
    Annotated[list[CandleIn], Tag("rows")] | Annotated[CandleColumns, Tag("columns")],
    Discriminator(
        _candles_form, custom_error_type="candles_form",
        custom_error_message="candles must be a list of candle objects or an object of columns",
    ),
]


class SignalRequest(BaseModel):
    """Candles of one market, oldest first; the newest bar is the one signalled."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(min_length=1, examples=["BTC/USDT"], description=(
        "The market; serving the bundles of several symbols, it picks the bundle (one of "
        "GET /v1/models' symbols)."))
    timeframe: str | None = Field(
        None, examples=["1h"], description="Bar length; inferred from the timestamps when omitted."
    )
    candles: Candles = Field(
        description="At least the bundle's min_candles bars (see GET /v1/models), either as a "
        "list of {timestamp, open, high, low, close, volume} objects or as one object of six "
        "equally long lists {timestamp: [...], open: [...], ...} (smaller, parses faster)."
    )
    references: dict[str, Candles] | None = Field(None, description=(
        "Only for a bundle with cross-asset features (features.cross): the candles of each "
        "reference instrument by its name in the bundle (GET /v1/models' references), in "
        "the same form as candles, covering the same bars (and their warm-up). Required "
        "for such a bundle, refused for any other."))


class PredictRequest(BaseModel):
    """Raw (un-normalised) feature windows in the bundle's feature order."""

    model_config = ConfigDict(extra="forbid")

    features: list[Any] = Field(
        description="One window [lookback][n_features] or a batch [B][lookback][n_features]."
    )
    side: list[Any] | None = Field(
        None, description="Side features ([S] or [B][S]); only for bundles trained with them."
    )
    timeframe: str | None = Field(
        None, examples=["1h"],
        description="Bar length of the windows' candles; refused unless it is the model's.",
    )
    symbol: str | None = Field(
        None, min_length=1, examples=["BTC/USDT"],
        description="Whose windows these are: required when the server serves the bundles "
        "of several symbols (each normalises with its own statistics), ignored otherwise.",
    )


class PredictOut(BaseModel):
    """Calibrated probabilities, one row per window, columns in ``classes`` order."""

    model_name: str
    model_version: str | None
    bundle_fingerprint: str
    classes: list[str]
    batched: bool
    probabilities: list[dict[str, float]]
    predicted: list[str]
    gate_passed: bool = Field(False, description="Whether the bundle's promotion gate passed.")
    override_reason: str | None = Field(
        None, description="Reason of the audited override a refused bundle runs under, if any.")


class ModelOut(BaseModel):
    """The bundle being served (serving several symbols: the bundle of ``symbol``)."""

    name: str
    symbol: str | None = Field(
        None, description="Serving several symbols: the symbol whose bundle this describes.")
    symbols: list[str] = Field(
        default_factory=list, description="The symbols /v1/signal and /v1/predict route to, "
        "each with its own bundle; empty when one bundle answers for every symbol.")
    refused_symbols: list[str] = Field(
        default_factory=list, description="Symbols of the served bundle folder not served "
        "because their gate refused them (serve them with --allow-refused).")
    version: str | None
    source: str
    fingerprint: str = Field(description="sha256 of the model (manifest and weights).")
    data_fingerprint: str = Field("", description="sha256 of the candles it was trained on.")
    loaded_at: datetime
    gate_passed: bool | None
    override_reason: str | None = Field(
        None, description="Reason of the audited registry override a refused bundle runs under.")
    allowed_refused: bool = Field(
        False, description="True when a refused bundle is served only because of --allow-refused.")
    gate: dict[str, Any]
    classes: list[str]
    feature_names: list[str]
    side_names: list[str]
    references: dict[str, str] = Field(
        default_factory=dict, description="Cross-asset references by name, each with the "
        "source it was trained on: /v1/signal needs their candles as 'references'.")
    lookback: int
    warmup_bars: int
    min_candles: int
    model: dict[str, Any]
    last_reload_error: str | None


class HealthOut(BaseModel):
    """Liveness and which version answers."""

    status: str
    model_name: str
    model_version: str | None
    worker_pid: int | None = Field(None, description="Process id of the worker that answered.")
    symbols: list[str] = Field(default_factory=list, description=(
        "Serving a run over several symbols: the symbols served (model_name and "
        "model_version are the first one's); empty when one bundle answers for any symbol."))
