"""Render the ``report.json`` schema as a Markdown field table for the docs."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Any, Literal, Union

from pydantic import BaseModel

from tradewind.report.schema import SCHEMA_VERSION, ExperimentReport

__all__ = ["schema_markdown"]

_SCALARS = {float: "number", int: "integer", str: "string", bool: "boolean", type(None): "null",
            datetime: "datetime (ISO 8601, UTC)", Any: "any"}


def _args(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp)


def _type_name(tp: Any) -> str:
    """A short, reader-facing name of a field's type."""
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _type_name(_args(tp)[0])
    if origin in (Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in _args(tp))
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in _args(tp))
    if origin is list:
        return f"list of {_type_name(_args(tp)[0])}"
    if origin is tuple:
        return "[" + ", ".join(_type_name(a) for a in _args(tp)) + "]"
    if origin is dict:
        key, value = _args(tp)
        return f"object ({_type_name(key)} → {_type_name(value)})"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.__name__
    return getattr(tp, "__name__", str(tp))


def _nested(tp: Any, path: str) -> list[tuple[str, type[BaseModel]]]:
    """Sections reachable inside ``tp`` with the path prefix each is documented under."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [(path, tp)]
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _nested(_args(tp)[0], path)
    if origin in (Union, types.UnionType):
        return [n for a in _args(tp) for n in _nested(a, path)]
    if origin is list:
        return _nested(_args(tp)[0], f"{path}[]")
    if origin is dict:
        return _nested(_args(tp)[1], f"{path}.<name>")
    return []


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        required = "yes" if field.is_required() else "no"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{path}` | {_type_name(field.annotation)} | {required} | {description} |")
        for sub_path, sub_model in _nested(field.annotation, path):
            rows.extend(_rows(sub_model, f"{sub_path}."))
    return rows


def schema_markdown() -> str:
    """The ``report.json`` field table (path, type, required, description) as Markdown.

    Paths are dotted; ``[]`` marks a list element and ``<name>`` a key chosen by the data
    (a class or baseline name).
    """
    lines = [
        f"# report.json schema (version {SCHEMA_VERSION})",
        "",
        (ExperimentReport.__doc__ or "").strip(),
        "Unknown keys are rejected; undefined metrics are `null`; intervals are `[lo, hi]`.",
        "",
        "| field | type | required | description |",
        "|---|---|---|---|",
        *_rows(ExperimentReport, ""),
        "",
        *_PREDICTIONS,
    ]
    return "\n".join(lines)


_PREDICTIONS = [
    "# predictions.parquet",
    "",
    "Every out-of-sample row of the run, one per bar, in time order, beside `report.json`:",
    "`pandas.read_parquet(\"out/quickstart/predictions.parquet\")`. The index `timestamp` is "
    "the bar's open time (UTC); the prediction was made at that bar's close.",
    "",
    "| column | type | present | description |",
    "|---|---|---|---|",
    "| `fold` | integer | always | Walk-forward fold whose test segment holds the row (0-based). |",
    "| `label` | string | always | The true class (null where the label is unknown). |",
    "| `p_<CLASS>` | number | always | The model's calibrated probability of each class. |",
    "| `logit_<CLASS>` | number | always | The model's raw logit of each class (before calibration). |",
    "| `<baseline>_p_<CLASS>` | number | always | Each baseline's probability of each class (same rows). |",
    "| `position_every_signal` | integer | with a backtest | Side every-signal trading asked for at the bar "
    "(+1 long, -1 short, 0 flat). |",
    "| `position_fitted` | integer | with a backtest | Side the fold's fitted trade policy asked for (what the "
    "gate judges). |",
    "| `position_logistic_fitted` | integer | with the logistic baseline | Side of the same fitting on the logistic "
    "baseline's probabilities. |",
    "",
    "Position columns are present when the backtest ran (`backtest.enabled`). A position is "
    "the order at the bar's close; the engine fills it at the next open, unless a position "
    "in the same direction is already held.",
    "",
]
