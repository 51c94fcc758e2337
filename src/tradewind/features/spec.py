"""The ``features`` section of an experiment: which sets, indicators and timeframes to build.

Every key is checked when the spec is built (``extra="forbid"``): an unknown feature set,
TA-Lib function, parameter or output is refused naming the bad value and listing the
valid ones, and a user indicator whose output is not scale-free (it moves with the price
or volume level, like a raw SMA) is refused with the ``scale`` that fixes it. Validators
raise ``ValueError`` so that pydantic collects them: ``config.validate_section`` then
turns them into one :class:`~tradewind.exceptions.ConfigError` naming the file and key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.exceptions import ConfigError
from tradewind.features.cross_spec import CrossSpec
from tradewind.features.indicators import column_name, validate_indicator
from tradewind.features.registry import FEATURE_SETS
from tradewind.timeframes import timeframe_seconds

__all__ = ["CoreParams", "FeatureSpec", "HigherTimeframeSpec", "IndicatorSpec"]

_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_T = TypeVar("_T")


def _value_error(check: Callable[[], _T]) -> _T:
    """Run a library check inside a validator; its ConfigError becomes a ValueError."""
    try:
        return check()
    except ConfigError as err:
        raise ValueError(str(err)) from None


def _check_set_names(names: list[str], field: str) -> list[str]:
    valid = sorted(FEATURE_SETS)
    for name in names:
        if name not in FEATURE_SETS:
            raise ValueError(
                f"unknown feature set {name!r}; valid sets are {valid} "
                "(run `tradewind features list` to see every feature)"
            )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"feature set(s) {duplicates} listed more than once in {field}")
    return names


class CoreParams(BaseModel):
    """Periods (in bars) of the indicators behind the built-in sets.

    ``core15`` uses the first ten; ``strategy`` and ``smc`` share ``atr`` (every
    ATR-scaled feature) and ``strategy`` shares ``rsi``. ``smc`` uses ``swing`` (bars on
    each side of a swing point) and ``smc_memory`` (bars after which a swing, order
    block or fair-value gap is forgotten; its warm-up is about twice this).
    """

    model_config = ConfigDict(extra="forbid")

    sma_fast: int = Field(10, ge=2)
    sma_slow: int = Field(30, ge=3)
    rsi: int = Field(14, ge=2)
    atr: int = Field(14, ge=2)
    bb: int = Field(20, ge=2)
    bb_std: float = Field(2.0, gt=0.0)
    volume: int = Field(20, ge=2)
    momentum: int = Field(10, ge=1)
    volatility_fast: int = Field(10, ge=2)
    volatility_slow: int = Field(50, ge=3)
    swing: int = Field(3, ge=1, le=50)
    smc_memory: int = Field(100, ge=10, le=10_000)

    @model_validator(mode="after")
    def _fast_below_slow(self) -> CoreParams:
        for fast, slow in (("sma_fast", "sma_slow"), ("volatility_fast", "volatility_slow")):
            if getattr(self, fast) >= getattr(self, slow):
                raise ValueError(
                    f"{fast} ({getattr(self, fast)}) must be smaller than "
                    f"{slow} ({getattr(self, slow)})"
                )
        return self


class IndicatorSpec(BaseModel):
    """One extra TA-Lib indicator as a feature column.

    Parameters
    ----------
    name:
        A TA-Lib function name (``talib.get_functions()``), e.g. ``"RSI"``, ``"MACD"``.
    params:
        That function's parameters, e.g. ``{"timeperiod": 21}``; unknown keys are refused.
    output:
        Which output of a multi-output function, e.g. ``"macdhist"``; required there.
    scale:
        How a price-level output is made scale-free. ``"none"``: used as is (oscillators
        such as RSI; a level output is refused); ``"price"``: ``value / close - 1``;
        ``"atr"``: ``(value - close) / ATR``; ``"ratio"``: ``value / close`` (for outputs
        that are price *differences*, e.g. MOM, MACD, STDDEV).
    alias:
        Column name; default ``ta_<name>[_<output>][_<param><value>...]`` in lower case.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, int | float] = Field(default_factory=dict)
    output: str | None = None
    scale: Literal["none", "price", "atr", "ratio"] = "none"
    alias: str | None = None

    @field_validator("name")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("alias")
    @classmethod
    def _alias_ok(cls, value: str | None) -> str | None:
        if value is not None and not _ALIAS.match(value):
            raise ValueError(
                f"alias {value!r} must be a plain identifier "
                "(letters, digits, underscore; not starting with a digit)"
            )
        return value

    @model_validator(mode="after")
    def _valid_talib_call(self) -> IndicatorSpec:
        self.params = _value_error(
            lambda: validate_indicator(self.name, self.params, self.output, self.scale))
        return self

    @property
    def column(self) -> str:
        """The feature column this indicator produces."""
        return column_name(self.name, self.params, self.output, self.alias)


class HigherTimeframeSpec(BaseModel):
    """Feature sets computed on candles resampled to a higher timeframe.

    Columns are prefixed ``htf_<timeframe>_`` (e.g. ``htf_4h_rsi``); a higher bar is
    visible on a base row only once it has closed.
    """

    model_config = ConfigDict(extra="forbid")

    timeframe: str
    sets: list[str] = Field(default_factory=lambda: ["core15"])

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        _value_error(lambda: timeframe_seconds(value))
        return value.strip()

    @field_validator("sets")
    @classmethod
    def _known_sets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one feature set")
        return _check_set_names(value, "higher_timeframes.sets")

    @property
    def prefix(self) -> str:
        """Column prefix of this timeframe's features."""
        return f"htf_{self.timeframe}_"


class FeatureSpec(BaseModel):
    """What ``tradewind.features.compute`` builds, in this column order.

    Main frame: each set of ``sets`` (its features in registry order), then each of
    ``indicators``, then each of ``higher_timeframes`` (its sets, prefixed), then each
    reference of ``cross`` (its columns, prefixed with its name). The side frame holds
    ``side_sets`` for models that take a side vector.
    """

    model_config = ConfigDict(extra="forbid")

    sets: list[str] = Field(default_factory=lambda: ["core15"])
    indicators: list[IndicatorSpec] = Field(default_factory=list)
    higher_timeframes: list[HigherTimeframeSpec] = Field(default_factory=list)
    side_sets: list[str] = Field(default_factory=list)
    cross: list[CrossSpec] = Field(default_factory=list)
    params: CoreParams = Field(default_factory=CoreParams)

    @field_validator("sets")
    @classmethod
    def _known_sets(cls, value: list[str]) -> list[str]:
        return _check_set_names(value, "sets")

    @field_validator("side_sets")
    @classmethod
    def _known_side_sets(cls, value: list[str]) -> list[str]:
        return _check_set_names(value, "side_sets")

    @model_validator(mode="after")
    def _consistent(self) -> FeatureSpec:
        both = sorted(set(self.sets) & set(self.side_sets))
        if both:
            raise ValueError(
                f"set(s) {both} are in both sets and side_sets; "
                "keep each set in one of them"
            )
        if not (self.sets or self.indicators or self.higher_timeframes or self.cross):
            raise ValueError(
                "nothing to compute; name at least one set in features.sets, "
                "an indicator, a higher timeframe or a cross reference"
            )
        timeframes = [h.timeframe for h in self.higher_timeframes]
        seconds = [_value_error(lambda t=t: timeframe_seconds(t)) for t in timeframes]
        if len(set(seconds)) != len(seconds):
            raise ValueError(f"higher_timeframes lists a timeframe twice: {timeframes}")
        taken = {f for name in self.sets for f in FEATURE_SETS[name].names}
        for ind in self.indicators:
            if ind.column in taken:
                raise ValueError(
                    f"indicators: column {ind.column!r} ({ind.name}) is already "
                    "used by another feature; give it a different alias"
                )
            taken.add(ind.column)
        taken |= {h.prefix + f for h in self.higher_timeframes for name in h.sets
                  for f in FEATURE_SETS[name].names}
        _check_cross(self.cross, taken)
        return self


def _check_cross(cross: list[CrossSpec], taken: set[str]) -> None:
    """Reference names are unique and their columns collide with no other feature."""
    names = [c.name for c in cross]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"cross: reference name(s) {duplicates} used more than once; give each "
            "reference its own name (it prefixes the reference's columns)"
        )
    for ref in cross:
        clash = sorted(set(ref.names) & taken)
        if clash:
            raise ValueError(
                f"cross: reference {ref.name!r} would add column(s) {clash} that another "
                "feature already has; choose another name"
            )
