"""Experiment reports: ``report.json`` (schema: :class:`ExperimentReport`) and a
self-contained ``report.html`` whose charts are embedded PNGs.

>>> from tradewind.report import ExperimentReport, write_report   # doctest: +SKIP
>>> json_path, html_path = write_report(ExperimentReport.model_validate(d), out_dir)
"""

from tradewind.report.schema import (
    SCHEMA_VERSION,
    BaselineResult,
    Calibration,
    ClassMetrics,
    DataSummary,
    Diagnostics,
    EpochRecord,
    ExperimentInfo,
    ExperimentReport,
    FeatureImportance,
    Finding,
    FoldCalibration,
    FoldReport,
    GateCheck,
    GateVerdict,
    Importance,
    OOSMetrics,
    RegistryInfo,
    ReliabilityBin,
    ShareWindow,
    TeacherStudent,
)
from tradewind.report.schema_doc import schema_markdown
from tradewind.report.sections import SECTION_IDS, render_html
from tradewind.report.write import load_report, render_report_html, write_report

__all__ = [
    "SCHEMA_VERSION",
    "SECTION_IDS",
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
    "OOSMetrics",
    "RegistryInfo",
    "ReliabilityBin",
    "ShareWindow",
    "TeacherStudent",
    "load_report",
    "render_html",
    "render_report_html",
    "schema_markdown",
    "write_report",
]
