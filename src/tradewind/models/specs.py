"""Model specs: one small pydantic config per family, joined by a ``name`` discriminator.

A spec holds architecture hyper-parameters only. Input width, class count and side-input
width come from the data at build time (``tradewind.models.build``), never from the spec,
so one experiment file works for any feature set. Defaults are the values the seeds used
where a seed gave them (003: LSTM 128 x 3 bidirectional, dropout 0.35; 002: BiLSTM +
4-head attention; 000: Transformer-lite d_model 64, 4 heads, 2 layers; 004: FNN
256-128-64 with BatchNorm and dropout 0.3). Normalisation and temperature are not model
settings: they live in the bundle's normaliser and in calibration.

Examples
--------
>>> parse_model_spec({"name": "lstm", "hidden_size": 32}).num_layers
3
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from tradewind.exceptions import ConfigError

__all__ = [
    "BiLSTMAttentionSpec",
    "FNNSpec",
    "GRUSpec",
    "LSTMSpec",
    "ModelSpec",
    "SymbolEmbeddingSpec",
    "TCNSpec",
    "TransformerLiteSpec",
    "XLSTMSpec",
    "parse_model_spec",
]

PositiveInt = Annotated[int, Field(ge=1)]
Dropout = Annotated[float, Field(ge=0.0, lt=1.0)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LSTMSpec(_Spec):
    """Stacked (Bi)LSTM; the last step's output feeds a two-layer head.

    For a bidirectional net the summary is the forward direction at the last step
    concatenated with the backward direction at the first step (each has then read the
    whole window). ``head_hidden`` defaults to ``hidden_size``.
    """

    name: Literal["lstm"] = "lstm"
    hidden_size: PositiveInt = 128
    num_layers: PositiveInt = 3
    bidirectional: bool = True
    dropout: Dropout = 0.35
    head_hidden: PositiveInt | None = None


class GRUSpec(_Spec):
    """Stacked (Bi)GRU; same summary and head as :class:`LSTMSpec`."""

    name: Literal["gru"] = "gru"
    hidden_size: PositiveInt = 64
    num_layers: PositiveInt = 2
    bidirectional: bool = True
    dropout: Dropout = 0.2
    head_hidden: PositiveInt | None = None


class BiLSTMAttentionSpec(_Spec):
    """BiLSTM, then multi-head self-attention and a feed-forward block (residual + LayerNorm).

    ``multitask`` adds the forward-return regression head; its loss weight is
    ``training.aux_weight`` (a training setting, so it lives in ``TrainSpec`` only).
    """

    name: Literal["bilstm_attention"] = "bilstm_attention"
    hidden_size: PositiveInt = 64
    num_layers: PositiveInt = 2
    n_heads: PositiveInt = 4
    dropout: Dropout = 0.3
    multitask: bool = False

    @model_validator(mode="after")
    def _heads_divide_width(self) -> BiLSTMAttentionSpec:
        if (2 * self.hidden_size) % self.n_heads != 0:
            raise ValueError(
                f"n_heads={self.n_heads} must divide the BiLSTM output width "
                f"2 * hidden_size = {2 * self.hidden_size}; change n_heads or hidden_size"
            )
        return self


class TransformerLiteSpec(_Spec):
    """Small Transformer encoder over the window (seed 000's "GoldenBreezeLite" sizes)."""

    name: Literal["transformer_lite"] = "transformer_lite"
    d_model: PositiveInt = 64
    n_heads: PositiveInt = 4
    n_layers: PositiveInt = 2
    dim_feedforward: PositiveInt = 128
    dropout: Dropout = 0.1
    pooling: Literal["last", "mean", "cls"] = "mean"

    @model_validator(mode="after")
    def _heads_divide_width(self) -> TransformerLiteSpec:
        if self.d_model % self.n_heads != 0:
            raise ValueError(
                f"n_heads={self.n_heads} must divide d_model={self.d_model}; change one of them"
            )
        return self


class FNNSpec(_Spec):
    """Feed-forward net on the window's last bar only (``x[:, -1, :]``)."""

    name: Literal["fnn"] = "fnn"
    hidden: Annotated[list[PositiveInt], Field(min_length=1)] = Field(
        default_factory=lambda: [256, 128, 64]
    )
    dropout: Dropout = 0.3
    batchnorm: bool = True


class XLSTMSpec(_Spec):
    """Stack of xLSTM blocks (Beck et al., 2024): ``"m"`` = mLSTM block, ``"s"`` = sLSTM block.

    ``blocks`` accepts a string such as ``"ms"`` or a list such as ``["m", "s"]`` and is
    stored as the string. ``n_heads`` must divide ``hidden_size``.
    """

    name: Literal["xlstm"] = "xlstm"
    blocks: str = "ms"
    hidden_size: PositiveInt = 64
    n_heads: PositiveInt = 2
    dropout: Dropout = 0.1

    @field_validator("blocks", mode="before")
    @classmethod
    def _blocks_as_string(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            if not all(isinstance(item, str) for item in value):
                raise ValueError(f"blocks list must hold 'm'/'s' strings, got {value!r}")
            return "".join(value)
        return value

    @field_validator("blocks")
    @classmethod
    def _blocks_known(cls, value: str) -> str:
        pattern = value.strip().lower()
        if not pattern or set(pattern) - {"m", "s"}:
            raise ValueError(
                f"blocks must be a non-empty pattern of 'm' (mLSTM) and 's' (sLSTM), "
                f"got {value!r}; e.g. 'ms' or ['m', 's']"
            )
        return pattern

    @model_validator(mode="after")
    def _heads_divide_width(self) -> XLSTMSpec:
        if self.hidden_size % self.n_heads != 0:
            raise ValueError(f"n_heads={self.n_heads} must divide hidden_size={self.hidden_size}")
        return self


class TCNSpec(_Spec):
    """Temporal convolutional net: causal dilated convolutions, dilation 2**i in block i."""

    name: Literal["tcn"] = "tcn"
    channels: Annotated[list[PositiveInt], Field(min_length=1)] = Field(
        default_factory=lambda: [32, 32, 32]
    )
    kernel_size: Annotated[int, Field(ge=2)] = 3
    dropout: Dropout = 0.1


class SymbolEmbeddingSpec(_Spec):
    """A learned vector per symbol joined to every bar's features (pooled models).

    Not a family: it wraps one (``tradewind.models.symbol_embedding``). ``symbols`` are the
    series the pooled model was trained on, in series order (row ``i`` of the embedding is
    ``symbols[i]``'s). ``index`` fixes the symbol a bundle serves, so its model keeps the
    plain ``model(x)`` call; ``None`` (training) reads each window's series id from the
    side input's last column.
    """

    dim: PositiveInt
    symbols: Annotated[list[str], Field(min_length=1)]
    index: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _index_names_a_symbol(self) -> SymbolEmbeddingSpec:
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError(f"symbols must be distinct, got {self.symbols}")
        if self.index is not None and self.index >= len(self.symbols):
            raise ValueError(
                f"index {self.index} names no symbol: there are {len(self.symbols)} "
                f"({', '.join(self.symbols)})"
            )
        return self


ModelSpec = Annotated[
    LSTMSpec | GRUSpec | BiLSTMAttentionSpec | TransformerLiteSpec | FNNSpec | XLSTMSpec | TCNSpec,
    Field(discriminator="name"),
]

_ADAPTER: TypeAdapter[ModelSpec] = TypeAdapter(ModelSpec)
MODEL_NAMES: tuple[str, ...] = (
    "bilstm_attention",
    "fnn",
    "gru",
    "lstm",
    "tcn",
    "transformer_lite",
    "xlstm",
)


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for item in err.errors():
        loc = list(item["loc"])
        if item["type"] == "union_tag_not_found":
            lines.append(f"{source}.name: missing; use one of {', '.join(MODEL_NAMES)}")
            continue
        if item["type"] == "union_tag_invalid":
            got = item.get("input", {})
            name = got.get("name") if isinstance(got, dict) else got
            lines.append(
                f"{source}.name: unknown model family {name!r}; use one of {', '.join(MODEL_NAMES)}"
            )
            continue
        if loc and loc[0] in MODEL_NAMES:  # the tag pydantic puts before the field
            loc = loc[1:]
        key = ".".join([source, *(str(part) for part in loc)])
        if item["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown key (misspelt?); remove it or fix its name")
        else:
            lines.append(f"{key}: {item['msg']} (got {item.get('input')!r})")
    return "; ".join(lines)


def parse_model_spec(data: dict[str, object], *, source: str = "model") -> ModelSpec:
    """Validate a plain mapping (e.g. the ``model:`` section of a YAML file) into a spec.

    Parameters
    ----------
    data:
        Mapping with a ``name`` key (``lstm``, ``gru``, ``bilstm_attention``,
        ``transformer_lite``, ``fnn``, ``xlstm``, ``tcn``) and that family's fields.
    source:
        Prefix used in error messages to locate the key (e.g. ``"experiment.yaml: model"``).

    Raises
    ------
    ConfigError
        Naming every bad key (``model.hiden_size: unknown key ...``) and what to do.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping with a 'name' key, got {type(data).__name__}"
        )
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as err:
        raise ConfigError(f"invalid model spec: {_describe(err, source)}") from err
