"""The experiment file: one YAML document validated by pydantic, stage by stage.

Every section is the config object of one stage (``data``, ``features``, ``labels``,
``split``, ``normalizer``, ``model``, ``training``, ``calibration``, ``gate``, ...).
Unknown keys and wrong types are errors that name the key and the file, and every
command accepts ``--set dotted.key=value`` overrides applied before validation. Loading
is strict: an empty experiment file, a key given twice in one mapping and a boolean
where a number is expected (pydantic would read ``true`` as 1) are refused by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from yaml.nodes import MappingNode

from tradewind.backtest import BacktestConfig
from tradewind.calibration import CalibrationSpec
from tradewind.data import DataPolicy
from tradewind.dataset import NormalizerSpec, SplitSpec
from tradewind.evaluation import GateSpec, ImportanceSpec
from tradewind.exceptions import ConfigError
from tradewind.features import FeatureSpec
from tradewind.labels import ExitSpec, LabelSpec
from tradewind.models import LSTMSpec, ModelSpec
from tradewind.policy import PolicySpec, default_exits
from tradewind.training import TrainSpec

__all__ = [
    "BacktestSpec",
    "BaselineSpec",
    "BootstrapSpec",
    "DataSpec",
    "Experiment",
    "ExportSpec",
    "MonitorSpec",
    "RegistrySpec",
    "RetrainSpec",
    "SeriesSource",
    "TeacherSpec",
    "UniverseSpec",
    "apply_overrides",
    "duration_seconds",
    "format_validation_error",
    "load_experiment",
    "parse_overrides",
    "validate_section",
]


_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeriesSource(_Strict):
    """One series of a universe: its candles and the symbol that names it in reports."""

    source: str = Field(description="A path, sample:NAME, synthetic:KIND?..., or store:EX/SYM/TF.")
    symbol: str | None = Field(None, description="Instrument name; default: the source itself.")

    @property
    def name(self) -> str:
        """The symbol, or the source when no symbol is given."""
        return self.symbol or self.source


class DataSpec(_Strict):
    """Where the candles come from: a path, ``sample:NAME``, ``synthetic:KIND?...`` or ``store:EX/SYM/TF``.

    ``sources`` lists several series (a universe) instead of the one ``source``; every other
    key (timeframe, start, end, tz, policy) applies to each of them.
    """

    source: str = "sample:eurusd-1h"
    sources: list[SeriesSource] = Field(
        default_factory=list, description="Several series in one experiment (instead of source).")
    timeframe: str | None = Field(
        None, description="Bar length; inferred from the data when absent. With several "
        "sources, series of a finer bar length are resampled to it.")
    symbol: str | None = Field(None, description="Instrument name for reports and signals.")
    start: str | None = None
    end: str | None = None
    tz: str = Field("UTC", description="Zone of timezone-naive timestamps in files.")
    policy: DataPolicy = Field(default_factory=DataPolicy)

    @model_validator(mode="after")
    def _source_or_sources(self) -> DataSpec:
        if self.sources and ({"source", "symbol"} & self.model_fields_set):
            raise ValueError(
                "data.source/data.symbol and data.sources are both given; list every series "
                "under data.sources (each with source and symbol) and remove data.source"
            )
        return self

    @model_validator(mode="after")
    def _each_series_once(self) -> DataSpec:
        for key in ("name", "source"):
            seen: set[str] = set()
            for item in self.sources:
                value = getattr(item, key)
                if value in seen:
                    what = "symbol" if key == "name" else "source"
                    raise ValueError(
                        f"data.sources: {what} {value!r} is listed twice; list each series once"
                    )
                seen.add(value)
        return self

    def series(self) -> list[SeriesSource]:
        """The series of the experiment: ``sources``, or the one ``source``."""
        return list(self.sources) or [SeriesSource(source=self.source, symbol=self.symbol)]


class UniverseSpec(_Strict):
    """How an experiment over several series trains: one model per symbol, or one for all.

    Either way every symbol is judged on its own out-of-sample rows (a gate verdict each)
    and all rows are judged pooled. With one series both modes are the same run.
    ``embedding`` > 0 gives a pooled model a learned vector per symbol
    (``tradewind.models.symbol_embedding``); it is refused with ``per_symbol``, with SMOTE
    and in a run over one series.
    """

    mode: Literal["per_symbol", "pooled"] = Field(
        "pooled", description="per_symbol: one model per symbol; pooled: one model trained on "
        "the windows of every symbol, each normalised by its own training rows.")
    embedding: int = Field(
        0, ge=0, description="pooled only: width of a learned vector per symbol appended to "
        "every bar's features (0: none). Each symbol's bundle uses its own row.")
    compare_modes: bool = Field(
        False, description="Also train the other mode's models on the same calendar, folds "
        "and rows, and report pooled − per_symbol MCC per symbol and over all symbols with "
        "paired intervals (report.json universe.comparison). `mode` still decides the "
        "bundles and gate verdicts. Ignored with one series.")


class BaselineSpec(_Strict):
    """Baselines fitted on the very same folds and rows as the model."""

    include: list[str] = Field(
        default_factory=lambda: ["majority", "persistence", "logistic", "lightgbm"]
    )
    lags: list[int] = Field(default_factory=lambda: [1, 2, 3])


class BootstrapSpec(_Strict):
    """The moving-block bootstrap of every interval (MCC, accuracy, model − baseline, the
    backtest's Sharpe): ``tradewind.block_bootstrap.BlockBootstrap`` with these settings."""

    n_boot: int = Field(1000, ge=100)
    block: int | None = Field(
        None, ge=1, description="Block length in rows (24 when null); never below the label "
        "horizon, for the backtest's Sharpe never below the holding period.")
    level: float = Field(0.95, gt=0.5, lt=1.0)


class BacktestSpec(_Strict):
    """Out-of-sample backtest of the walk-forward predictions, after costs.

    ``exits`` defaults to the labels' exits (triple-barrier), else a take-profit of 3 ATR
    and a stop of 2 ATR held at most the label horizon: the trade a direction label over
    ``horizon`` bars describes, with a protective stop. It is the ``labels`` exit of the
    policy search and the exit of every-signal trading. How probabilities become trades is
    the ``policy:`` section.
    """

    enabled: bool = True
    exits: ExitSpec | None = None
    fee_bps: float = Field(5.0, ge=0, description="Fee per side, basis points of notional.")
    slippage_bps: float = Field(2.0, ge=0, description="Slippage per fill, basis points.")
    initial_equity: float = Field(10_000.0, gt=0)
    on_opposite: Literal["reverse", "close"] = Field(
        "reverse", description="An opposite signal closes and reverses, or only closes."
    )
    sizing: Literal["fraction", "integer_units"] = Field(
        "fraction", description="Fractional units, or whole units as backtesting.py rounds them."
    )
    close_at_end: bool = Field(True, description="Close an open position at the last bar.")

    def exit_spec(self, labels: LabelSpec) -> ExitSpec:
        """The exits to simulate (see the class docstring for the default)."""
        return self.exits if self.exits is not None else default_exits(labels)

    def costs(self) -> BacktestConfig:
        """The engine settings: costs, starting equity, opposite-signal, sizing and end rules."""
        return BacktestConfig(initial_equity=self.initial_equity, fee_bps=self.fee_bps,
                              slippage_bps=self.slippage_bps, on_opposite=self.on_opposite,
                              sizing=self.sizing, close_at_end=self.close_at_end)


class ExportSpec(_Strict):
    """Export the bundle when the run ends, for clients outside Python (seed 002's bot).

    ``onnx`` writes ``model.onnx`` (raw features in, calibrated probabilities out; checked
    against PyTorch), ``scalers.json`` and ``manifest.json``; ``json`` only the two JSON files.
    """

    format: Literal["onnx", "json"] | None = Field(None, description="None: no export.")
    dir: str = Field("export", description="Folder under the run's output folder.")
    exporter: Literal["torchscript", "dynamo"] = "torchscript"


class RegistrySpec(_Strict):
    """MLflow tracking: SQLite + local artifacts under ``root`` unless a URI is given."""

    enabled: bool = True
    tracking_uri: str | None = None
    root: str = "runs"
    model_name: str = "tradewind"


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str, key: str) -> int:
    """Seconds in a duration such as ``"60d"``, ``"12h"`` or ``"8w"``; a ValueError names ``key``."""
    value = str(text).strip()
    number, unit = value[:-1], value[-1:]
    if not number.isdigit() or unit not in _DURATION_UNITS or int(number) <= 0:
        raise ValueError(
            f"{key} {text!r} is not a duration: write a positive whole number and one of "
            "s, m, h, d, w (for example '60d', '12h', '8w')"
        )
    return int(number) * _DURATION_UNITS[unit]


class RetrainSpec(_Strict):
    """``tradewind retrain``: what trains the challenger, what judges it, what promotes it.

    The newest ``holdout`` bars are kept out of training; ``window`` (before them, after a
    purge of the label horizon) trains the challenger with this experiment. Challenger and
    champion are both scored on the holdout, and the challenger is promoted only when its
    gate passes and ``require`` holds on every metric in ``decide_on`` (paired block-bootstrap
    interval of challenger − champion; both metrics are always reported).
    """

    window: str = Field(
        "all", description="Newest data before the holdout that trains the challenger: 'all' "
        "or a duration such as '60d', '12h', '8w'.")
    holdout: int | str = Field(
        1000, description="Newest rows scored head-to-head: a bar count, or a duration such as "
        "'14d'. Neither model may have trained on them.")
    require: Literal["not_worse", "better"] = Field(
        "not_worse", description="not_worse: the difference's interval must reach 0 or above "
        "(not shown worse); better: its lower bound must be above 0 (shown better).")
    decide_on: list[Literal["mcc", "return"]] = Field(
        default_factory=lambda: ["mcc", "return"], min_length=1,
        description="Metrics the require rule is applied to: mcc (on the experiment's labels), "
        "return (after-cost policy return per bar).")

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        if value.strip() != "all":
            duration_seconds(value, "retrain.window")
        return value.strip()

    @field_validator("holdout")
    @classmethod
    def _holdout(cls, value: int | str) -> int | str:
        if isinstance(value, bool):
            raise ValueError("retrain.holdout is a bar count or a duration, not a boolean")
        if isinstance(value, int):
            if value < 2:
                raise ValueError(f"retrain.holdout needs at least 2 bars; got {value}")
            return value
        duration_seconds(value, "retrain.holdout")
        return value.strip()

    @field_validator("decide_on")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class TeacherSpec(_Strict):
    """A teacher trained in every fold (and in the refit) before the model, which learns from it.

    The model is distilled with ``training.distillation`` (alpha * hard loss + (1 - alpha) *
    T^2 * KL to the teacher). The teacher sees exactly the model's training and validation
    rows, so its soft targets carry no future; its own out-of-sample predictions are scored
    on the same rows as the model's, and the report says whether the student beats it.
    """

    model: ModelSpec = Field(description="The teacher's architecture.")
    training: TrainSpec | None = Field(
        None, description="The teacher's training; default: the model's, without distillation."
    )
    use_side: bool = Field(
        False, description="Feed the side vector to the teacher too (seed 000's teacher had none)."
    )

    def training_spec(self, student: TrainSpec) -> TrainSpec:
        """The teacher's own training spec (never distilled itself)."""
        spec = self.training or student
        return spec.model_copy(update={"distillation": None})



class MonitorSpec(_Strict):
    """The ``monitor:`` section: what ``tradewind monitor`` compares, over how many signals,
    and when it calls it a breach. A run copies it into its bundle
    (``manifest.monitoring.settings``), so a deployed model is judged by the thresholds its
    experiment chose; ``--set monitor_key=value`` overrides them for one call."""

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


class Experiment(_Strict):
    """One experiment: what to load, how to label, split, model, train, judge and store."""

    name: str = "experiment"
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of every random draw (numpy, torch).")
    data: DataSpec = Field(default_factory=DataSpec)
    universe: UniverseSpec = Field(default_factory=UniverseSpec)
    features: FeatureSpec = Field(default_factory=FeatureSpec)
    labels: LabelSpec = Field(default_factory=LabelSpec)
    lookback: int = Field(32, ge=1, description="Bars per window, including the last one.")
    split: SplitSpec = Field(default_factory=SplitSpec)
    normalizer: NormalizerSpec = Field(default_factory=NormalizerSpec)
    model: ModelSpec = Field(default_factory=lambda: LSTMSpec(name="lstm"))
    training: TrainSpec = Field(default_factory=TrainSpec)
    teacher: TeacherSpec | None = None
    calibration: CalibrationSpec = Field(default_factory=CalibrationSpec)
    baselines: BaselineSpec = Field(default_factory=BaselineSpec)
    bootstrap: BootstrapSpec = Field(default_factory=BootstrapSpec)
    gate: GateSpec = Field(default_factory=GateSpec)
    backtest: BacktestSpec = Field(default_factory=BacktestSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    export: ExportSpec = Field(default_factory=ExportSpec)
    importance: ImportanceSpec = Field(default_factory=ImportanceSpec)
    monitor: MonitorSpec = Field(default_factory=MonitorSpec)
    registry: RegistrySpec = Field(default_factory=RegistrySpec)
    retrain: RetrainSpec = Field(default_factory=RetrainSpec)

    @model_validator(mode="after")
    def _labels_are_classes(self) -> Experiment:
        if self.labels.kind == "forward_return":
            raise ValueError(
                "labels.kind 'forward_return' is a regression target: an experiment needs "
                "classes (direction, ternary or triple_barrier)"
            )
        return self

    @model_validator(mode="after")
    def _one_series_sections(self) -> Experiment:
        if len(self.data.sources) < 2:
            return self
        single = {
            "teacher": self.teacher is not None,
            "export.format": self.export.format is not None,
        }
        given = [key for key, on in single.items() if on]
        if given:
            raise ValueError(
                f"{', '.join(given)}: measured for one series only, and data.sources lists "
                f"{len(self.data.sources)}; remove {' / '.join(given)} or run one series"
            )
        return self

    @model_validator(mode="after")
    def _embedding_needs_pooling(self) -> Experiment:
        if not self.universe.embedding:
            return self
        if self.universe.mode == "per_symbol":
            raise ValueError(
                f"universe.embedding={self.universe.embedding} needs universe.mode: pooled (a "
                "per_symbol model sees one symbol, so there is nothing to tell apart); set "
                "universe.mode: pooled or universe.embedding: 0"
            )
        if self.training.smote.enabled:
            raise ValueError(
                "universe.embedding and training.smote.enabled cannot be combined: SMOTE would "
                "interpolate between the windows of different symbols; disable one of them"
            )
        return self

    @model_validator(mode="after")
    def _teacher_needs_distillation(self) -> Experiment:
        if (self.teacher is None) != (self.training.distillation is None):
            raise ValueError(
                "teacher and training.distillation go together: set both (distil the model "
                "from the teacher) or neither"
            )
        return self


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """``["training.epochs=5", "model.name=fnn"]`` -> ``{"training.epochs": 5, ...}``.

    Values are parsed as YAML scalars/lists, so ``5`` is an int, ``[1,2]`` a list and
    ``null`` None.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {pair!r}: expected dotted.key=value")
        try:
            out[key] = yaml.load(raw, Loader=UniqueKeyLoader) if raw.strip() else ""
        except yaml.YAMLError as err:
            raise ConfigError(f"--set {pair!r}: value is not valid YAML ({err})") from err
    return out


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set each dotted key in a copy of ``raw``, creating sections as needed."""
    result: dict[str, Any] = _deep_copy(raw)
    for dotted, value in overrides.items():
        node = result
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(
                    f"--set {dotted}: {part!r} holds a value ({child!r}), not a section"
                )
            node = child
        node[parts[-1]] = value
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


_NUMBER_ERRORS = ("greater_than", "less_than", "multiple_of", "int_", "float_", "finite_number")


def format_validation_error(err: ValidationError, where: str) -> str:
    """One line per problem: ``file: key.path: message``."""
    lines = [f"{where}: invalid configuration ({err.error_count()} problem(s))"]
    for item in err.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling against the documented fields)"
        elif isinstance(item.get("input"), bool) and item["type"].startswith(_NUMBER_ERRORS):
            message = f"a boolean where a number is expected; write the number itself ({message})"
        lines.append(f"  {where}: {loc}: {message} (got {item.get('input')!r})")
    return "\n".join(lines)


def validate_section(model: type[_M], raw: Mapping[str, Any], where: str) -> _M:
    """Validate ``raw`` as ``model``; a ConfigError names each bad key and ``where``.

    YAML booleans are refused where a number is expected: pydantic would turn
    ``lookback: true`` into 1 without a word.
    """
    try:
        section = model.model_validate(dict(raw))
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, where)) from None
    coerced = _bools_taken_as_numbers(dict(raw), section, "")
    if coerced:
        lines = [f"{where}: invalid configuration ({len(coerced)} problem(s))"]
        lines += [
            f"  {where}: {key}: a boolean where a number is expected; write the number itself "
            f"(got {value!r})"
            for key, value in coerced
        ]
        raise ConfigError("\n".join(lines))
    return section


def _bools_taken_as_numbers(raw: Any, value: Any, path: str) -> list[tuple[str, bool]]:
    """Dotted keys whose raw value is a boolean that validation turned into a number."""
    if isinstance(raw, bool):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return [(path or "(top level)", raw)] if numeric else []
    found: list[tuple[str, bool]] = []
    if isinstance(raw, Mapping):
        for key, item in raw.items():
            if isinstance(value, BaseModel) and key in type(value).model_fields:
                child = getattr(value, str(key))
            elif isinstance(value, Mapping) and key in value:
                child = value[key]
            else:
                continue
            found += _bools_taken_as_numbers(item, child, f"{path}.{key}" if path else str(key))
    elif isinstance(raw, list) and isinstance(value, list | tuple) and len(raw) == len(value):
        for i, (item, child) in enumerate(zip(raw, value, strict=True)):
            found += _bools_taken_as_numbers(item, child, f"{path}[{i}]")
    return found


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice (YAML itself would keep the last silently)."""

    def __init__(self, key: object, first_line: int, second_line: int) -> None:
        super().__init__(
            f"key {key!r} appears twice in one mapping, at lines {first_line} and "
            f"{second_line}; YAML would silently keep the second. Keep one of them"
        )


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys, naming the key and both lines."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *base' merges keys that the mapping may override
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise DuplicateKeyError(key, seen[key], line)
            except TypeError:  # an unhashable key: the base constructor explains it
                break
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """A YAML date (``2020-12-31``) stays the text it was written as: every date key of a
    config is a string (``data.end``), parsed with its time zone by the data layer."""
    return str(loader.construct_scalar(node))


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


_MINIMAL_EXPERIMENT = (
    "a minimal experiment file names its data, e.g.\n"
    "    name: my-experiment\n"
    "    data:\n"
    "      source: sample:eurusd-1h\n"
    "(write '{}' to run every default on purpose)"
)


def read_yaml(path: str | Path, *, allow_empty: bool = True) -> dict[str, Any]:
    """Read a YAML mapping, with errors naming the file (and line, from the parser).

    Duplicate keys and bytes that are not UTF-8 are ConfigErrors; an empty document
    (nothing but comments) reads as ``{}`` unless ``allow_empty`` is False.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {err.object[err.start]:#04x} at offset {err.start} "
            "cannot be decoded). Fix: save the file as UTF-8"
        ) from None
    try:
        raw = yaml.load(text, Loader=UniqueKeyLoader)
    except DuplicateKeyError as err:
        raise ConfigError(f"{path}: {err}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if raw is None:
        if not allow_empty:
            raise ConfigError(f"{path}: the file is empty; {_MINIMAL_EXPERIMENT}")
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return raw


def load_experiment(
    path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> Experiment:
    """Read, override and validate an experiment file.

    Examples
    --------
    >>> exp = load_experiment("examples/quickstart.yaml", ["training.epochs=2"])  # doctest: +SKIP
    """
    raw = read_yaml(path, allow_empty=False)
    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    raw = apply_overrides(raw, overrides or {})
    return validate_section(Experiment, raw, str(path))
