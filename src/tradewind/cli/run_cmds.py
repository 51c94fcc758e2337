"""``tradewind run``: the main job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tradewind.cli.common import (
    ExperimentArgument,
    FormatOption,
    QuietOption,
    SetOption,
    console,
    print_json,
    print_table,
    to_jsonable,
)

__all__ = ["gate", "presets_list", "report_html", "run"]

presets_app = typer.Typer(no_args_is_help=True)


def run(
    experiment: ExperimentArgument,
    data: Annotated[
        list[str] | None, typer.Option(
            help="Data source overriding data.source (path, sample:, synthetic:, store:); "
            "give it several times to run one experiment over several series.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output directory for bundle and reports.")] = Path(
        "out/run"
    ),
    set_: SetOption = None,
    quiet: QuietOption = False,
    html: Annotated[
        bool, typer.Option(help="Draw report.html (`tradewind report` can draw it later).")
    ] = True,
    strict: Annotated[
        bool,
        typer.Option("--strict", "--fail-on-refuse",
                     help="Exit 9 when the gate refuses the model (default: exit 0, the "
                     "verdict is in the output and report.json)."),
    ] = False,
    overwrite: Annotated[bool, typer.Option(
        help="Replace a previous run in --out (swapped in whole when this run finishes).")]
    = False,
    address: Annotated[str | None, typer.Option(
        help="Train a per_symbol universe's symbols as Ray tasks: 'local' (this machine's "
        "cores) or a cluster (ray://host:10001, host:6379 or auto).")] = None,
) -> None:
    """Run a walk-forward experiment and print its out-of-sample verdict.

    --out must be new, empty or hold a previous run (replaced only with --overwrite);
    a folder holding anyone else's files is refused, naming them.
    """
    from tradewind.config import load_experiment
    from tradewind.pipeline.experiment import run_experiment

    exp = load_experiment(experiment, set_ or [])
    result = run_experiment(exp, out_dir=out, data=data or None, progress=not quiet, html=html,
                            overwrite=overwrite, address=address)
    report = result.report
    oos = report.oos
    rows = [("model", f"{oos['mcc']:+.3f}", _ci(oos["mcc_ci"]), f"{oos['accuracy']:.3f}", "")]
    for name, base in report.baselines.items():
        rows.append((name, f"{base['mcc']:+.3f}", _ci(base["mcc_ci"]), f"{base['accuracy']:.3f}",
                     _ci(base["mcc_diff_ci"])))
    level = _percent(oos["ci_level"])
    columns = ["predictor", "MCC", f"MCC {level}% CI", "accuracy", "model − baseline MCC CI"]
    method = oos["ci_method"] or f"{level} % block-bootstrap intervals"
    print_table(f"Out of sample: {oos['n_rows']:,} rows ({method})",
                columns, rows, no_wrap=columns)
    _print_gate("Promotion gate" if report.universe is None else "Promotion gate (pooled)",
                [c.model_dump() for c in report.gate.checks])
    if report.universe is not None:
        _print_symbols(report.universe)
    console.print(f"bundle: {result.bundle_path}")
    if result.registry:
        reg = result.registry
        console.print(f"registry: model {reg.model_name!r} version {reg.version} (alias "
                      f"{reg.alias}), run {reg.run_id} in {reg.tracking_uri}", highlight=False)
    console.print(f"report: {(result.report_html or result.report_json).resolve()}")
    if strict and not result.gate_passed:
        from tradewind.exceptions import GateRefused

        typer.echo(f"error: the gate refused the model (--strict): exit {GateRefused.exit_code}",
                   err=True)
        raise typer.Exit(GateRefused.exit_code)


def _print_symbols(universe: Any) -> None:
    """One row per symbol: its own out-of-sample MCC, interval and gate verdict."""
    rows = [(name, f"{sec.oos.mcc:+.3f}", _ci(sec.oos.mcc_ci), f"{sec.oos.n_rows:,}",
             "passed" if sec.gate.passed else "refused", sec.bundle)
            for name, sec in universe.symbols.items()]
    print_table(f"Per symbol ({universe.mode})", ["symbol", "MCC", "MCC CI", "rows", "gate",
                                                  "bundle"], rows)
    console.print(universe.headline, highlight=False)


def _percent(level: float) -> str:
    """0.95 → "95", 0.975 → "97.5"."""
    return f"{level * 100:.10g}"


def report_html(
    path: Annotated[Path, typer.Argument(help="A report.json, or the directory holding one.")],
    out: Annotated[Path | None, typer.Option(
        help="HTML file to write (a directory gets report.html); default: beside report.json.",
        show_default=False)] = None,
) -> None:
    """Draw report.html from an existing report.json (e.g. a sweep trial's)."""
    from tradewind.data import write_text_atomic
    from tradewind.report import load_report, render_html, render_report_html

    if out is None:
        written = render_report_html(path)
    else:
        written = out / "report.html" if out.is_dir() or not out.suffix else out
        written.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(written, render_html(load_report(path)))
    console.print(f"report: {written.resolve()}")


def _print_gate(title: str, checks: list[dict]) -> None:
    """The gate table, the verdict, and why each failing check failed."""
    rows = [(c["name"], _fmt(c["value"]), _fmt(c["threshold"]), "pass" if c["passed"] else "FAIL")
            for c in checks]
    print_table(title, ["check", "value", "threshold", "result"], rows,
                no_wrap=("check", "result"))
    failing = [c for c in checks if not c["passed"]]
    if not failing:
        console.print("gate: [bold green]PASSED[/]: every check holds out of sample")
        return
    console.print("gate: [bold red]REFUSED[/]")
    for check in failing:
        console.print(f"  - {check['name']}: {check['detail']}", highlight=False)


def gate(
    report: Annotated[Path, typer.Argument(help="A run's report.json, or its directory.")],
    set_: SetOption = None,
    format_: FormatOption = "table",
) -> None:
    """Judge a finished run's evidence again under its gate with --set gate.* changes."""
    from tradewind.pipeline.rejudge import rejudge

    judged = rejudge(report, set_ or [])
    if format_ == "json":
        extra = {"symbols": {k: v.to_dict() for k, v in judged.symbols.items()}} if (
            judged.symbols) else {}
        print_json({"report": report, "overrides": judged.overrides,
                    "recorded_passed": judged.recorded_passed, **judged.verdict.to_dict(),
                    **extra})
        return
    changes = ", ".join(f"{k}={v!r}" for k, v in judged.overrides.items()) or "no changes"
    recorded = "PASSED" if judged.recorded_passed else "REFUSED"
    _print_gate(f"Gate of {escape(str(report))} ({escape(changes)})", [c.to_dict() for c in judged.verdict.checks])
    if judged.symbols:
        print_table("Per symbol", ["symbol", "verdict", "failed checks"], [
            (name, "PASSED" if v.passed else "REFUSED",
             ", ".join(c.name for c in v.checks if not c.passed))
            for name, v in judged.symbols.items()])
    console.print(f"recorded verdict of the run: {recorded}. This verdict is for reading only: "
                  "promotion goes by the verdict stored in the bundle.", highlight=False)


def _ci(pair: list[float] | tuple[float, float] | None) -> str:
    if not pair:
        return ""
    return f"[{pair[0]:+.3f}, {pair[1]:+.3f}]"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return "" if value is None else str(value)


def presets_list(
    dir_: Annotated[Path, typer.Option("--dir", help="Directory holding the preset YAML files.")] = Path(
        "presets"
    ),
    runs: Annotated[Path, typer.Option(help="Where `make presets` wrote each preset's report.")] = Path(
        "out/presets"
    ),
    set_: SetOption = None,
    format_: FormatOption = "table",
) -> None:
    """Validate every preset (after ``--set`` overrides) and print its last measured verdict."""
    from tradewind.presets import list_presets

    presets = list_presets(dir_, runs, overrides=set_ or [])
    if format_ == "json":
        print_json([{"name": p.path.stem, **to_jsonable(p)} for p in presets])
        return
    rows = [
        [p.path.stem, p.title.split(",")[0], p.model + (f" ← {p.teacher}" if p.teacher else ""),
         p.labels, Path(p.source).name, p.measured or "not run here"]
        for p in presets
    ]
    print_table("Presets", ["preset", "rebuilds", "model", "labels", "data", "measured"], rows,
                no_wrap=("preset",))
    console.print("Run one: tradewind run presets/NAME.yaml [--data SOURCE] --out out/presets/NAME")


presets_app.command("list", help="Validate every preset; show what it rebuilds and its last verdict.")(
    presets_list
)
