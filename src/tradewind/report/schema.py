"""The ``report.json`` schema: one pydantic model per section, every field described.

The experiment runner fills an :class:`ExperimentReport`; :func:`tradewind.report.write_report`
writes it as ``report.json`` and ``report.html``. Unknown keys are errors (a misspelt key
fails loudly), metrics that are undefined (NaN, ±inf) are stored as ``null``, and intervals
are ``[lo, hi]`` pairs with ``lo <= hi``. Every timestamp is UTC; a bar's timestamp is its
open time. :func:`schema_markdown` renders the field table for the docs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "SCHEMA_VERSION",
    "BaselineResult",
    "Calibration",
    "ClassMetrics",
    "DataSummary",
    "Diagnostics",
    "EpochRecord",
    "ExperimentInfo",
    "ExperimentReport",
    "FeatureImportance",
    "Finding",
    "FoldCalibration",
    "FoldReport",
    "GateCheck",
    "GateVerdict",
    "Importance",
    "ModeComparison",
    "ModeDifference",
    "OOSMetrics",
    "PolicyFold",
    "PolicyResult",
    "PolicySection",
    "RegistryInfo",
    "ReliabilityBin",
    "ShareWindow",
    "SymbolReport",
    "TeacherStudent",
    "UniverseSection",
]

SCHEMA_VERSION = "1.0"


def plain(value: Any) -> Any:
    """Turn numpy/pandas values into JSON-ready Python ones; non-finite floats become None."""
    if isinstance(value, BaseModel):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] > pair[1]:
        raise ValueError(f"interval [{pair[0]}, {pair[1]}] has lo > hi; write it as [lo, hi]")
    return pair


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"timestamp {value.isoformat()} has no time zone; pass it in UTC")
    return value.astimezone(UTC)


Metric = Annotated[float | None, BeforeValidator(_finite_or_none)]
"""A metric value; ``null`` when undefined (e.g. ROC AUC with a single class present)."""
Interval = Annotated[tuple[float, float], AfterValidator(_ordered)]
"""A confidence interval ``[lo, hi]``."""
UTCTime = Annotated[datetime, AfterValidator(_utc)]
FreeDict = Annotated[dict[str, Any], BeforeValidator(plain)]


class Section(BaseModel):
    """Base of every section: unknown keys forbidden, read access by key like the JSON."""

    model_config = ConfigDict(extra="forbid")

    def __getitem__(self, key: str) -> Any:
        """``section["mcc"]`` reads like ``section.mcc``, so code can treat it as the JSON dict."""
        if key not in type(self).model_fields:
            raise KeyError(f"{type(self).__name__} has no field {key!r}")
        return getattr(self, key)


class Finding(Section):
    """One observation a person should read: a validation problem or a diagnostic warning."""

    level: Literal["info", "warning", "error"] = Field(description="Severity: info, warning or error.")
    code: str = Field(description="Short stable identifier of the rule, e.g. `one_class_collapse`.")
    message: str = Field(description="What was seen, with numbers, and what to do about it.")


class ExperimentInfo(Section):
    """Which experiment produced the report."""

    name: str = Field(description="Experiment name.")
    config: FreeDict = Field(description="The full validated experiment configuration.")


class DataSummary(Section):
    """The candles the experiment ran on."""

    source: str = Field(description="Where the candles came from (path, sample:, synthetic:, store:).")
    symbol: str = Field(description="Market symbol, e.g. BTC/USDT.")
    timeframe: str = Field(description="Bar length, e.g. 5m or 1h.")
    rows: int = Field(ge=0, description="Number of candles after validation.")
    first: UTCTime = Field(description="Open time of the first candle (UTC).")
    last: UTCTime = Field(description="Open time of the last candle (UTC).")
    fingerprint: str = Field(description="Hash of the candles, also stored in the bundle.")
    findings: list[Finding] = Field(
        default_factory=list,
        description="What `data validate` found in the source (gaps, flat bars, zero volume, ...).",
    )


class ClassMetrics(Section):
    """One class's out-of-sample precision, recall and F1."""

    precision: Metric = Field(description="Of the rows predicted as this class, the share that were.")
    recall: Metric = Field(description="Of the rows of this class, the share predicted as it.")
    f1: Metric = Field(description="Harmonic mean of precision and recall.")
    support: int = Field(ge=0, description="Number of out-of-sample rows of this class.")


class OOSMetrics(Section):
    """Out-of-sample metrics over the concatenated test rows of every fold."""

    n_rows: int = Field(ge=0, description="Number of out-of-sample rows scored.")
    classes: list[str] = Field(min_length=2, description="Class names in index order.")
    ci_level: float = Field(0.95, gt=0, lt=1, description="Confidence level of every interval.")
    ci_method: str | None = Field(None, description="How intervals were computed, e.g. block bootstrap.")
    mcc: Metric = Field(description="Matthews correlation coefficient (0 = no skill).")
    mcc_ci: Interval | None = Field(description="Interval of the MCC.")
    accuracy: Metric = Field(description="Share of rows predicted correctly.")
    accuracy_ci: Interval | None = Field(description="Interval of the accuracy.")
    balanced_accuracy: Metric = Field(description="Mean recall over classes.")
    balanced_accuracy_ci: Interval | None = Field(None, description="Interval of balanced accuracy.")
    macro_f1: Metric = Field(description="Unweighted mean F1 over classes.")
    macro_f1_ci: Interval | None = Field(None, description="Interval of macro F1.")
    log_loss: Metric = Field(description="Cross-entropy of the calibrated probabilities.")
    brier: Metric = Field(description="Multi-class Brier score of the calibrated probabilities.")
    ece: Metric = Field(description="Expected calibration error (equal-width confidence bins).")
    ece_ci: Interval | None = Field(None, description="Interval of the ECE.")
    adaptive_ece: Metric = Field(description="Calibration error with equal-count bins.")
    roc_auc: Metric = Field(description="ROC AUC (one-vs-rest macro for more than two classes).")
    per_class: dict[str, ClassMetrics] = Field(description="Class name → precision/recall/F1.")
    confusion: list[list[int]] = Field(description="Confusion counts: row = true class, column = predicted.")
    pred_shares: dict[str, float] = Field(description="Class name → share of rows predicted as it.")
    label_shares: dict[str, float] = Field(description="Class name → share of rows labelled as it.")

    @model_validator(mode="after")
    def _consistent(self) -> OOSMetrics:
        k = len(self.classes)
        if len(self.confusion) != k or any(len(row) != k for row in self.confusion):
            shape = f"{len(self.confusion)}x{[len(r) for r in self.confusion]}"
            raise ValueError(f"oos.confusion must be {k}x{k} for classes {self.classes}, got {shape}")
        for name in ("pred_shares", "label_shares", "per_class"):
            keys = set(getattr(self, name))
            if keys != set(self.classes):
                raise ValueError(
                    f"oos.{name} keys {sorted(keys)} must be the classes {self.classes} "
                    f"(missing {sorted(set(self.classes) - keys)}, unexpected {sorted(keys - set(self.classes))})"
                )
        return self


class BaselineResult(Section):
    """A baseline scored on the same out-of-sample rows as the model."""

    mcc: Metric = Field(description="Baseline MCC.")
    mcc_ci: Interval | None = Field(description="Interval of the baseline MCC.")
    accuracy: Metric = Field(description="Baseline accuracy.")
    accuracy_ci: Interval | None = Field(None, description="Interval of the baseline accuracy.")
    mcc_diff_ci: Interval | None = Field(
        description="Interval of (model MCC − baseline MCC), paired on the same resamples."
    )


class TeacherStudent(Section):
    """A distilled model (the student) beside its teacher on the same out-of-sample rows."""

    teacher_model: str = Field(description="Teacher architecture name, e.g. `lstm`.")
    student_model: str = Field(description="Student (the run's model) architecture name.")
    teacher_params: int = Field(ge=0, description="Teacher parameter count (first fold).")
    student_params: int = Field(ge=0, description="Student parameter count (first fold).")
    alpha: float = Field(description="Weight of the hard-label loss in distillation.")
    temperature: float = Field(description="Distillation temperature T.")
    teacher: BaselineResult = Field(
        description="Teacher metrics; `mcc_diff_ci` is student − teacher MCC, paired."
    )
    teacher_fold_mcc: list[Metric] = Field(description="Teacher test MCC per fold.")
    student_fold_mcc: list[Metric] = Field(description="Student test MCC per fold.")
    reading: str = Field(description="`student better`, `teacher better` or `no clear difference`.")


class Diagnostics(Section):
    """What the diagnostics computed (logit scale, confidence, collapse, drift) and what they flag."""

    values: FreeDict = Field(default_factory=dict, description="Diagnostic name → value (free form).")
    findings: list[Finding] = Field(default_factory=list, description="Warnings a person should read.")


class GateCheck(Section):
    """One promotion-gate check."""

    name: str = Field(description="Check name, e.g. `mcc_ci_low`.")
    value: float | int | bool | str | list[float] | None = Field(description="The measured value.")
    threshold: float | int | bool | str | list[float] | None = Field(description="What it is compared to.")
    passed: bool = Field(description="Whether this check passed.")
    detail: str = Field("", description="One sentence explaining the check or why it failed.")


class GateVerdict(Section):
    """The promotion gate's verdict, check by check."""

    passed: bool = Field(description="True only when every check passed.")
    checks: list[GateCheck] = Field(description="Every check, passed or not.")

    @model_validator(mode="after")
    def _all_checks(self) -> GateVerdict:
        failing = [c.name for c in self.checks if not c.passed]
        if self.passed and failing:
            raise ValueError(f"gate.passed is true but checks failed: {', '.join(failing)}")
        if not self.passed and self.checks and not failing:
            raise ValueError("gate.passed is false but every check passed; add the failing check")
        return self

    @property
    def failing(self) -> list[GateCheck]:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]


class EpochRecord(Section):
    """One training epoch of one fold."""

    epoch: int = Field(ge=0, description="Epoch number (as the trainer counts them).")
    train_loss: Metric = Field(description="Mean training loss.")
    val_loss: Metric = Field(description="Validation loss.")
    val_mcc: Metric = Field(None, description="Validation MCC.")
    lr: Metric = Field(None, description="Learning rate used in the epoch.")
    pred_shares: dict[str, float] | None = Field(None, description="Validation predicted-class shares.")
    mean_max_prob: Metric = Field(None, description="Mean top-class probability on validation rows.")


class FoldReport(Section):
    """One walk-forward fold: its sizes, test period, test metrics and training history."""

    fold: int = Field(ge=0, description="Fold number, 0-based, in time order.")
    train_rows: int = Field(ge=0, description="Training rows after purging.")
    val_rows: int = Field(ge=0, description="Validation rows (early stopping, calibration).")
    test_rows: int = Field(ge=0, description="Test rows scored out of sample.")
    test_start: UTCTime = Field(description="Timestamp of the first test row.")
    test_end: UTCTime = Field(description="Timestamp of the last test row.")
    mcc: Metric = Field(description="Test MCC of this fold.")
    mcc_ci: Interval | None = Field(None, description="Interval of this fold's test MCC.")
    accuracy: Metric = Field(description="Test accuracy of this fold.")
    temperature: Metric = Field(None, description="Fitted calibration temperature.")
    best_epoch: int | None = Field(None, description="Epoch whose weights were kept.")
    history: list[EpochRecord] = Field(default_factory=list, description="Per-epoch training history.")


class ReliabilityBin(Section):
    """One bin of a reliability diagram."""

    confidence: Metric = Field(description="Mean top-class probability of the rows in the bin.")
    accuracy: Metric = Field(description="Share of those rows predicted correctly.")
    count: int = Field(ge=0, description="Rows in the bin.")


class FoldCalibration(Section):
    """What the calibrator of one fold decided on its validation rows, and why."""

    fold: int = Field(ge=0, description="Fold number, 0-based.")
    status: Literal["fitted", "bounded", "kept_identity"] = Field(
        description="`fitted`: the fit was kept; `bounded`: kept, clipped to a temperature "
                    "bound; `kept_identity`: its NLL gain was not supported, T = 1 applied.")
    temperature: Metric = Field(None, description="Temperature applied (temperature scaling).")
    fitted_value: Metric = Field(description="The optimiser's temperature (mean per-class "
                                             "scale for vector scaling), before the decision.")
    nll_gain: Metric = Field(description="Mean validation NLL gain of the fit over the identity.")
    nll_gain_lower: Metric = Field(description="Lower bound of the gain's block-bootstrap interval.")


class Calibration(Section):
    """How probabilities were calibrated and how much it helped, out of sample."""

    method: str = Field(description="Calibration method, e.g. temperature.")
    ece_before: Metric = Field(description="ECE of the raw softmax of the logits.")
    ece_after: Metric = Field(description="ECE after calibration.")
    reliability_before: list[ReliabilityBin] = Field(description="Reliability bins before calibration.")
    reliability_after: list[ReliabilityBin] = Field(description="Reliability bins after calibration.")
    folds: list[FoldCalibration] = Field(
        default_factory=list, description="Per fold: kept fit, bounded fit or identity (T = 1).")


class ShareWindow(Section):
    """Predicted and true class shares in one rolling window of out-of-sample rows."""

    timestamp: UTCTime = Field(description="Timestamp of the window's last row.")
    pred_shares: dict[str, float] = Field(description="Class name → share predicted in the window.")
    label_shares: dict[str, float] = Field(description="Class name → share labelled in the window.")


class RegistryInfo(Section):
    """Where the run and the model version live in MLflow."""

    run_id: str = Field(description="MLflow run id.")
    version: str | None = Field(None, description="Registered model version.")
    alias: str | None = Field(None, description="Alias set on the version (normally `candidate`).")
    model_name: str | None = Field(None, description="Registered model name.")
    tracking_uri: str | None = Field(None, description="MLflow tracking URI.")
    artifact_uri: str | None = Field(None, description="Where the registered bundle's files are.")


class FeatureImportance(Section):
    """One feature's out-of-sample importance, averaged over folds (rank 1 = most important)."""

    feature: str = Field(description="Feature name (main features, then side features).")
    permutation_logloss: Metric = Field(
        None, description="Mean over folds of the log-loss increase when the feature's whole "
        "window is shuffled across test rows (positive = the model used it).")
    permutation_logloss_range: Interval | None = Field(
        None, description="[min, max] over folds of that increase (the fold spread).")
    permutation_mcc: Metric = Field(None, description="Mean over folds of the MCC drop when shuffled.")
    permutation_mcc_range: Interval | None = Field(None, description="[min, max] over folds of the MCC drop.")
    permutation_rank: int | None = Field(None, ge=1, description="Rank by permutation log-loss increase.")
    gradient: Metric = Field(
        None, description="Mean |integrated gradient| summed over the window (logit units; deep models).")
    gradient_rank: int | None = Field(None, ge=1, description="Rank by gradient attribution.")
    shap: Metric = Field(
        None, description="Mean |TreeSHAP| of the LightGBM baseline, summed over lags (log-odds).")
    shap_rank: int | None = Field(None, ge=1, description="Rank by TreeSHAP (main features only).")


class Importance(Section):
    """Which features the models leaned on, measured out of sample inside every fold."""

    methods: list[str] = Field(description="Methods computed: permutation, gradient, shap.")
    rows: int = Field(ge=0, description="Out-of-sample test rows used, all folds together.")
    rows_per_fold: list[int] = Field(description="Test rows used per fold (evenly spaced subsample).")
    max_rows: int = Field(ge=1, description="Most test rows used per fold.")
    repeats: int = Field(ge=1, description="Shuffles per feature and fold (permutation).")
    base_logloss: Metric = Field(description="Mean over folds of the log-loss on the unshuffled rows.")
    base_mcc: Metric = Field(description="Mean over folds of the MCC on the unshuffled rows.")
    gradient_method: str | None = Field(None, description="How gradient attributions were computed.")
    shap_model: str | None = Field(None, description="Which model TreeSHAP explained, and how.")
    note: str = Field(description="On which rows, and why correlated features share importance.")
    features: list[FeatureImportance] = Field(
        description="Every feature, most important first (by the first method listed).")


def _tradewind_version() -> str:
    try:
        return version("tradewind")
    except PackageNotFoundError:
        return "unknown"


class PolicyFold(Section):
    """The trade policy one fold chose on its validation rows (never its test rows)."""

    fold: int = Field(description="Fold number (0-based).")
    description: str = Field(description="The chosen parameters in words.")
    reason: str = Field(description="`chosen`, or why the policy does not trade.")
    policy: FreeDict = Field(description="The chosen `TradePolicy`, as stored in a bundle.")
    val_trades: int = Field(description="Validation trades of the chosen candidate.")
    val_mean_bp: Metric = Field(None, description="Its net return per validation trade, bp.")
    val_objective: Metric = Field(None, description="Its objective (the lower bound) on validation.")
    meta: FreeDict | None = Field(
        None, description="Meta-labeling (`policy.meta`): fitted or why not, and on the held-out "
        "validation trades the net bp of all trades vs the trades it kept.",
    )
    curve: list[FreeDict] = Field(
        default_factory=list,
        description="Validation curve of the chosen family: threshold, n_trades, mean_bp.",
    )


class PolicyResult(Section):
    """One way of trading the out-of-sample rows, after costs (a trading, not a classification, figure)."""

    n_trades: int = Field(description="Closed trades.")
    sharpe: Metric = Field(description="Annualised Sharpe ratio of the equity after costs.")
    sharpe_ci: list[Metric] = Field(description="Block-bootstrap interval of the Sharpe ratio.")
    total_return: Metric = Field(description="Return over the out-of-sample stretch.")
    net_bp_per_trade: Metric = Field(None, description="Mean net return per trade, basis points.")
    net_bp_ci: list[float] | None = Field(None, description="Student-t interval of it (report level).")
    hit_rate: Metric = Field(None, description="Share of trades with a positive net result.")
    exposure: Metric = Field(None, description="Share of bars with a position held at the close.")
    turnover: Metric = Field(None, description="Traded notional per unit of average equity and year.")
    max_drawdown: Metric = Field(None, description="Largest fall of equity from a peak (fraction).")
    long_share: Metric = Field(None, description="Share of out-of-sample bars that asked for a long.")
    short_share: Metric = Field(None, description="Share of out-of-sample bars that asked for a short.")


class PolicySection(Section):
    """Probabilities → positions: per-fold fitted policies and how trading them went."""

    objective: str = Field(description="What validation fitting maximised (`return_lcb`, `sharpe_lcb`).")
    level: float = Field(description="One-sided confidence level of that lower bound.")
    min_trades: int = Field(description="Validation trades a candidate needed.")
    candidates: int = Field(description="Candidates tried per fold.")
    folds: list[PolicyFold] = Field(description="The model's policy per fold.")
    baseline_folds: list[PolicyFold] = Field(
        default_factory=list, description="The logistic baseline's policy per fold (same fitting)."
    )
    results: dict[str, PolicyResult] = Field(
        description="`every_signal`, `fitted` (judged by the gate), `logistic_fitted` and, with "
        "meta-labeling, `fitted_without_meta`, on the same out-of-sample rows and costs."
    )
    buy_and_hold_return: Metric = Field(description="Buy-and-hold return over the same stretch.")
    tradable_edge: bool = Field(
        description="The fitted policy's Sharpe interval lies above 0 with enough trades."
    )
    beats_baseline: bool | None = Field(
        None, description="The fitted policy's Sharpe lower bound exceeds the logistic policy's "
        "Sharpe (null when neither traded)."
    )
    headline: str = Field(description="One line: was a tradable edge shown, and against the baseline?")
    equity: FreeDict | None = Field(
        None, description="Down-sampled equity curves: timestamp, one list per result, buy_and_hold."
    )


class SymbolReport(Section):
    """One symbol of a run over several series, judged on its own out-of-sample rows exactly
    as a run over that symbol alone is judged."""

    data: DataSummary = Field(description="The symbol's candles.")
    oos: OOSMetrics = Field(description="The symbol's out-of-sample metrics with intervals.")
    baselines: dict[str, BaselineResult] = Field(
        description="Baselines fitted on the symbol's rows of the same folds, scored on its rows."
    )
    diagnostics: Diagnostics = Field(default_factory=Diagnostics, description="Its diagnostics.")
    gate: GateVerdict = Field(description="The symbol's own gate verdict.")
    folds: list[FoldReport] = Field(description="Its walk-forward folds (the shared calendar).")
    calibration: Calibration | None = Field(None, description="Its calibration before/after.")
    backtest: FreeDict | None = Field(None, description="Its backtest after its costs.")
    policy: PolicySection | None = Field(None, description="Its fitted trade policies.")
    importance: Importance | None = Field(
        None, description="Its feature importance (per_symbol mode: its own models').")
    bundle: str = Field(description="Path of the symbol's bundle.")
    registry: RegistryInfo | None = Field(None, description="Its MLflow run and model version.")


class ModeDifference(Section):
    """Pooled against per-symbol models on the same out-of-sample rows, paired."""

    n_rows: int = Field(ge=0, description="Out-of-sample rows both modes were scored on.")
    pooled_mcc: Metric = Field(description="MCC of the pooled model on these rows.")
    pooled_mcc_ci: Interval | None = Field(description="Its interval.")
    per_symbol_mcc: Metric = Field(description="MCC of the per-symbol models on these rows.")
    per_symbol_mcc_ci: Interval | None = Field(description="Its interval.")
    difference: Metric = Field(description="pooled − per_symbol MCC.")
    difference_ci: Interval | None = Field(
        description="Paired interval of the difference: both modes scored on every resample "
        "of the same blocks.")
    share_diff_le_zero: Metric = Field(
        description="Share of resamples where pooling did not beat the per-symbol models.")
    reading: str = Field(
        description="`pooled better`, `per_symbol better` or `cannot be told apart` (whether "
        "the interval of the difference excludes 0).")


class ModeComparison(Section):
    """Both modes trained on the same calendar, folds and rows (``universe.compare_modes``)."""

    primary: Literal["per_symbol", "pooled"] = Field(
        description="The mode whose models were bundled and gated (`universe.mode`).")
    method: str = Field(description="How the intervals were made.")
    symbols: dict[str, ModeDifference] = Field(
        description="Symbol → the modes on its own rows (blocks of its rows).")
    pooled: ModeDifference = Field(
        description="Every symbol's rows together; blocks of timestamps resampled jointly "
        "across symbols.")
    answer: str = Field(description="One sentence: did pooling beat per-symbol models?")


class UniverseSection(Section):
    """A run over several series: how it trained, and every symbol's own judgement."""

    mode: Literal["per_symbol", "pooled"] = Field(
        description="per_symbol: one model per symbol; pooled: one model over every symbol."
    )
    symbols: dict[str, SymbolReport] = Field(description="Symbol → its section, in data order.")
    passed: list[str] = Field(description="The symbols whose own gate passed.")
    pooled_rows: str = Field(
        description="How the top-level (pooled) sections were judged: every symbol's "
        "out-of-sample rows together, intervals from time blocks resampled jointly across "
        "symbols, baselines per symbol."
    )
    headline: str = Field(description="One line: which symbols pass, and the pooled verdict.")
    comparison: ModeComparison | None = Field(
        None, description="Pooled against per-symbol models on the same rows, with paired "
        "intervals (`universe.compare_modes`; null otherwise).")


class ExperimentReport(Section):
    """Everything one experiment found out, as written to ``report.json``."""

    schema_version: str = Field(SCHEMA_VERSION, description="Version of this schema.")
    tradewind_version: str = Field(default_factory=_tradewind_version, description="tradewind version.")
    created_at: UTCTime = Field(
        default_factory=lambda: datetime.now(UTC), description="When the report was made (UTC)."
    )
    experiment: ExperimentInfo = Field(description="Experiment name and configuration.")
    data: DataSummary = Field(description="The candles used.")
    oos: OOSMetrics = Field(description="Out-of-sample metrics with intervals.")
    baselines: dict[str, BaselineResult] = Field(
        description="Baseline name → metrics on the same rows, and the model − baseline MCC interval."
    )
    diagnostics: Diagnostics = Field(default_factory=Diagnostics, description="Diagnostics and findings.")
    gate: GateVerdict = Field(description="Promotion gate verdict.")
    folds: list[FoldReport] = Field(description="Walk-forward folds in time order.")
    calibration: Calibration | None = Field(None, description="Calibration before/after (null if none).")
    share_over_time: list[ShareWindow] = Field(
        default_factory=list, description="Rolling predicted vs label class shares over the OOS rows."
    )
    distillation: TeacherStudent | None = Field(
        None, description="Teacher vs distilled student (null unless the run has a teacher)."
    )
    backtest: FreeDict | None = Field(
        None,
        description="Backtest statistics (free form; `tradewind.backtest.BacktestStats`); an "
        "`equity` list of numbers, or `{timestamp: [...], value: [...]}`, is drawn with its "
        "drawdown. `exposure` is the share of bars during which a position was held (part of "
        "a bar counts); `mean_bars_held`/`max_bars_held` are over closed trades; "
        "`exits.max_holding` is the holding limit used (bars); the Sharpe interval is at "
        "`sharpe_ci_level`, made as `sharpe_ci_method` says (block `sharpe_ci_block` bars, "
        "`sharpe_ci_n_boot` resamples).",
    )
    policy: PolicySection | None = Field(
        None, description="Trade policies fitted on validation rows and traded out of sample "
        "(null when the backtest is off).",
    )
    importance: Importance | None = Field(
        None, description="Out-of-sample feature importance (null when `importance.enabled` is false)."
    )
    export: FreeDict | None = Field(
        None, description="Files the run exported (`export.format`): format, dir, files, and "
        "`onnx_max_abs_diff`, the export's own check against PyTorch (null if no export).",
    )
    bundle: str = Field(description="Path of the saved model bundle.")
    registry: RegistryInfo | None = Field(None, description="MLflow run and model version, if logged.")
    universe: UniverseSection | None = Field(
        None, description="Several series: each symbol's section and verdict (null for one "
        "series). The sections above then judge every symbol's rows pooled.",
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_empty_extras(cls, data: Any) -> Any:
        """Reports written before ``extras`` was retired carry ``"extras": null``: still readable."""
        if isinstance(data, dict) and "extras" in data and data["extras"] is None:
            return {key: value for key, value in data.items() if key != "extras"}
        return data

    @model_validator(mode="after")
    def _known_classes(self) -> ExperimentReport:
        for window in self.share_over_time:
            unknown = (set(window.pred_shares) | set(window.label_shares)) - set(self.oos.classes)
            if unknown:
                raise ValueError(
                    f"share_over_time at {window.timestamp.isoformat()} names classes "
                    f"{sorted(unknown)} that are not in oos.classes {self.oos.classes}"
                )
        return self
