"""User-chosen TA-Lib indicators as extra feature columns, checked to be scale-free.

Any TA-Lib function whose inputs are OHLCV columns can be a feature. A spec is
checked once when it is built: the function, its parameters and output must exist,
and the output after ``scale`` must not move when every price (or the volume) is
multiplied by 1000; a raw SMA with ``scale="none"`` is refused and the message names
the scale that fixes it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import talib
from talib import abstract

from tradewind.exceptions import ConfigError
from tradewind.features.bars import Bars, atr_warmup, talib_lookback, wilder_settle

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams, IndicatorSpec

__all__ = ["column_name", "compute_indicator", "indicator_warmup", "validate_indicator"]

_OHLCV = ("open", "high", "low", "close", "volume")
_SCALES = ("none", "price", "atr", "ratio")
_RECURSIVE_DEPTH = {
    "EMA": 1,
    "DEMA": 2,
    "TEMA": 3,
    "T3": 6,
    "TRIX": 3,
    "KAMA": 1,
    "MACD": 2,
    "MACDFIX": 2,
    "RSI": 1,
    "STOCHRSI": 1,
    "CMO": 1,
    "ATR": 1,
    "NATR": 1,
    "ADX": 2,
    "ADXR": 3,
    "DX": 1,
    "PLUS_DI": 1,
    "MINUS_DI": 1,
    "PLUS_DM": 1,
    "MINUS_DM": 1,
}
"""EMA/Wilder-smoothed functions: how many recursions their slowest period goes through."""
_MATYPE_DEPTH = {1: 1, 3: 2, 4: 3, 6: 1, 8: 6}
"""TA-Lib MA types that are recursive (EMA, DEMA, TEMA, KAMA, T3) and their depth."""
_SCALE_HINT = (
    "use scale='price' (value / close - 1) or scale='atr' ((value - close) / ATR) for a "
    "price level such as an SMA or a band, or scale='ratio' (value / close) for a price "
    "difference such as MOM, MACD or STDDEV"
)


def _function_info(name: str) -> dict:
    if name not in talib.get_functions():
        raise ConfigError(
            f"features.indicators: {name!r} is not a TA-Lib function; see "
            "talib.get_functions() (e.g. 'RSI', 'MACD', 'ADX', 'BBANDS')"
        )
    return abstract.Function(name).info


def _inputs(info: dict) -> list[str]:
    columns: list[str] = []
    for value in info["input_names"].values():
        columns.extend([value] if isinstance(value, str) else list(value))
    return columns


def _coerce_params(name: str, info: dict, params: dict[str, int | float]) -> dict[str, int | float]:
    defaults = info["parameters"]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ConfigError(
            f"features.indicators: {name} has no parameter(s) {unknown}; "
            f"its parameters are {dict(defaults)}"
        )
    coerced: dict[str, int | float] = {}
    for key, value in params.items():
        if isinstance(defaults[key], int) and not isinstance(defaults[key], bool):
            if float(value) != int(value):
                raise ConfigError(
                    f"features.indicators: {name}.{key} must be a whole number, got {value!r}"
                )
            coerced[key] = int(value)
        else:
            coerced[key] = float(value)
    return coerced


def column_name(
    name: str, params: dict[str, int | float], output: str | None, alias: str | None
) -> str:
    """``alias`` or ``ta_<name>[_<output>][_<param><value>...]`` in lower case."""
    if alias:
        return alias
    parts = [f"ta_{name.lower()}"]
    if output:
        parts.append(output.lower())
    parts.extend(f"{key}{value:g}" for key, value in sorted(params.items()))
    return "_".join(parts).replace(".", "p").replace("-", "m")


def _call(
    name: str, params: dict[str, int | float], data: dict[str, np.ndarray], output: str | None
) -> np.ndarray:
    function = abstract.Function(name)
    try:
        result = function(data, **params)
    except Exception as exc:  # TA-Lib reports bad parameters as a bare Exception
        raise ConfigError(f"features.indicators: TA-Lib rejected {name}{params}: {exc}") from exc
    if isinstance(result, list):
        result = result[function.output_names.index(output)]
    return np.asarray(result, dtype=np.float64)


def _scaled(values: np.ndarray, scale: str, close: np.ndarray, atr: np.ndarray) -> np.ndarray:
    if scale == "price":
        return values / close - 1.0
    if scale == "ratio":
        return values / close
    if scale == "atr":
        return (values - close) / atr
    return values


@lru_cache(maxsize=1)
def _probe() -> dict[str, np.ndarray]:
    """A fixed 400-bar random walk (price ~100, volume ~1000) for scale checks."""
    rng = np.random.default_rng(20240601)
    size = 400
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, size)))
    open_ = np.concatenate([[100.0], close[:-1]])
    spread = np.abs(rng.normal(0.0, 0.004, (2, size)))
    high = np.maximum(open_, close) * (1.0 + spread[0])
    low = np.minimum(open_, close) * (1.0 - spread[1])
    volume = rng.lognormal(7.0, 0.5, size)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def _probe_output(
    name: str,
    params: dict[str, int | float],
    output: str | None,
    scale: str,
    price_factor: float,
    volume_factor: float,
) -> np.ndarray:
    base = _probe()
    data = {k: v * (volume_factor if k == "volume" else price_factor) for k, v in base.items()}
    values = _call(name, params, data, output)
    atr = talib.ATR(data["high"], data["low"], data["close"], timeperiod=14)
    return _scaled(values, scale, data["close"], atr)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    finite = np.isfinite(a)
    if not np.array_equal(finite, np.isfinite(b)) or not finite.any():
        return False
    return bool(np.allclose(a[finite], b[finite], rtol=1e-6, atol=1e-9))


def validate_indicator(
    name: str, params: dict[str, int | float], output: str | None, scale: str
) -> dict[str, int | float]:
    """Check a user indicator; return its parameters coerced to TA-Lib's types.

    Raises ConfigError for an unknown function, parameter or output, an input that is not
    an OHLCV column, or an output that is not scale-free after ``scale``.
    """
    info = _function_info(name)
    foreign = [c for c in _inputs(info) if c not in _OHLCV]
    if foreign:
        raise ConfigError(
            f"features.indicators: {name} needs input(s) {foreign} that candles do not have; "
            "only functions of open/high/low/close/volume can be features"
        )
    params = _coerce_params(name, info, params)
    outputs = list(info["output_names"])
    if output is None and len(outputs) > 1:
        raise ConfigError(
            f"features.indicators: {name} has several outputs {outputs}; choose one with output"
        )
    if output is not None and output not in outputs:
        raise ConfigError(
            f"features.indicators: {name} has no output {output!r}; its outputs are {outputs}"
        )
    if scale not in _SCALES:
        raise ConfigError(f"features.indicators: scale {scale!r} is not one of {list(_SCALES)}")
    reference = _probe_output(name, params, output, scale, 1.0, 1.0)
    for what, factors in (("price", (1000.0, 1.0)), ("volume", (1.0, 1000.0))):
        if not _same(reference, _probe_output(name, params, output, scale, *factors)):
            hint = (
                _SCALE_HINT
                if what == "price"
                else (
                    "volume-level outputs such as OBV, AD or ADOSC cannot be features; the "
                    "strategy set has scale-free volume signals (obv_slope_z, cmf, mfi)"
                )
            )
            raise ConfigError(
                f"features.indicators: {name} output {output or outputs[0]!r} with "
                f"scale={scale!r} is not scale-free: it changes when every {what} is "
                f"multiplied by 1000; {hint}"
            )
    return params


def indicator_warmup(spec: IndicatorSpec, params: CoreParams) -> int:
    """TA-Lib lookback plus settling of recursive smoothing (and of the ATR for 'atr')."""
    lookback = talib_lookback(spec.name, **spec.params)
    info = abstract.Function(spec.name).info
    merged = {**dict(info["parameters"]), **spec.params}
    depth = _RECURSIVE_DEPTH.get(spec.name, 0)
    for key, value in merged.items():
        if "matype" in key:
            depth = max(depth, _MATYPE_DEPTH.get(int(value), 0))
    periods = [int(v) for k, v in merged.items() if "period" in k and "matype" not in k]
    settle = depth * wilder_settle(max(periods)) if depth and periods else 0
    warm = lookback + settle
    if spec.scale == "atr":
        warm = max(warm, atr_warmup(params))
    return warm


def compute_indicator(spec: IndicatorSpec, bars: Bars) -> np.ndarray:
    """The indicator's column [T] on ``bars``, scaled as the spec says."""
    data = {
        "open": bars.open,
        "high": bars.high,
        "low": bars.low,
        "close": bars.close,
        "volume": bars.volume,
    }
    values = _call(spec.name, spec.params, data, spec.output)
    if spec.scale == "atr":
        return bars.per_atr(values - bars.close)
    return _scaled(values, spec.scale, bars.close, bars.atr())
