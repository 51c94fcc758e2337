"""The installed ``tradewind`` script keeps the exit-code contract, command by command.

Every case runs the console script in a subprocess (the way a shell or CI job sees it)
and checks its exit code and that no traceback is printed. The cases are chosen to fail
or finish before any training, so the whole table runs in seconds per case; they run a
few at a time in a module fixture and each is then judged by its own test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tradewind import __version__
from tradewind.exceptions import EXIT_CODES

SCRIPT = Path(sys.executable).parent / "tradewind"
REPO = Path(__file__).resolve().parents[2]
SYNTH = "synthetic:random_walk?bars=400&seed=1&timeframe=1h"


@dataclass(frozen=True)
class Case:
    """One command line; ``{tmp}`` and ``{repo}`` in arguments are filled in."""

    argv: tuple[str, ...]
    code: int
    stdout: str = ""  # must appear on stdout
    stderr: str = ""  # must appear on stderr
    json: bool = False  # stdout must be one JSON document
    usage: bool | None = None  # click's usage message expected (default: when code is 2)

    @property
    def shows_usage(self) -> bool:
        return self.code == 2 if self.usage is None else self.usage


CASES: dict[str, Case] = {
    "bare": Case((), 0, stdout="Usage: tradewind"),
    "help-short": Case(("-h",), 0, stdout="Exit codes"),
    "version": Case(("--version",), 0, stdout=f"tradewind {__version__}"),
    "version-short": Case(("-V",), 0, stdout=f"tradewind {__version__}"),
    "group-bare": Case(("data",), 0, stdout="validate"),
    "unknown-command": Case(("frobnicate",), 2, stderr="No such command"),
    "run-missing-experiment": Case(("run",), 2, stderr="Missing argument"),
    "run-unknown-option": Case(("run", "x.yaml", "--bogus"), 2, stderr="No such option"),
    "run-bad-key": Case(("run", "{tmp}/exp.yaml", "--set", "training.epochz=1"), 2,
                        stderr="training.epochz", usage=False),
    "report-missing": Case(("report", "{tmp}/nowhere"), 3, stderr="no report at"),
    "gate-bad-format": Case(("gate", "{tmp}", "--format", "xml"), 2, stderr="--format"),
    "promote-missing-version": Case(("promote",), 2, stderr="Missing argument"),
    "retrain-registry-off": Case(("retrain", "{tmp}/exp.yaml", "--set", "registry.enabled=false"),
                                 2, stderr="registry.enabled is false", usage=False),
    "backtest-missing-data": Case(("backtest", "{tmp}/nobundle"), 2, stderr="--data"),
    "export-no-bundle": Case(("export", "{tmp}/nobundle", "--out", "{tmp}/x"), 8,
                             stderr="nobundle"),
    "signal-missing-data": Case(("signal", "{tmp}/nobundle"), 2, stderr="--data"),
    "serve-bad-port": Case(("serve", "--port", "abc"), 2, stderr="--port"),
    "live-no-source": Case(("live", "--symbol", "X/Y", "--timeframe", "1h", "--model", "m"), 2,
                           stderr="--exchange"),
    "paper-no-log": Case(("paper", "{tmp}/nolog.sqlite"), 2, stderr="no signal log",
                         usage=False),
    "monitor-no-log": Case(("monitor", "{tmp}/nolog.sqlite"), 2, stderr="no signal log",
                           usage=False),
    "sweep-bad-value": Case(("sweep", "s.yaml", "--max-concurrent", "0"), 2,
                            stderr="--max-concurrent"),
    "data-fetch-missing-symbol": Case(("data", "fetch", "--exchange", "binance"), 2,
                                      stderr="--symbol"),
    "data-import-bad-file": Case(("data", "import", "--data", "{tmp}/dup.csv", "--exchange", "x",
                                  "--symbol", "A/B", "--timeframe", "1h"), 3,
                                 stderr="duplicate_timestamps"),
    "data-validate-duplicates": Case(("data", "validate", "--data", "{tmp}/dup.csv"), 3,
                                     stdout="duplicate_timestamps"),
    "data-validate-directory": Case(("data", "validate", "--data", "{tmp}"), 3,
                                    stderr="is a directory"),
    "data-validate-json": Case(("data", "validate", "--data", "{tmp}/good.csv", "--format",
                                "json"), 0, json=True),
    "data-info-json": Case(("data", "info", "--data", SYNTH, "--format", "json"), 0, json=True),
    "data-resample": Case(("data", "resample", "--data", SYNTH, "--timeframe", "4h", "--out",
                           "{tmp}/4h.parquet"), 0, stdout="100 4h bars"),
    "features-list-json": Case(("features", "list", "--sets", "smc", "--format", "json"), 0,
                               json=True),
    "features-compute-no-experiment": Case(("features", "compute"), 2, stderr="EXPERIMENT"),
    "labels-inspect-json": Case(("labels", "inspect", "{tmp}/exp.yaml", "--format", "json"), 0,
                                json=True),
    "labels-search-missing-out": Case(("labels", "search", "{tmp}/exp.yaml"), 2,
                                      stderr="--out"),
    "models-list-bad-format": Case(("models", "list", "--format", "yaml"), 2, stderr="--format"),
    "sign-no-key": Case(("sign", "{tmp}/nobundle"), 2, stderr="--key", usage=False),
    "sign-new-key": Case(("sign", "--new-key", "{tmp}/keys/k"), 0, stdout="public key"),
    "presets-list-piped": Case(("presets", "list", "--dir", "{repo}/presets"), 0,
                               stdout="\ncrpbot_lstm "),
}


def _fill(arg: str, tmp: Path) -> str:
    return arg.replace("{tmp}", str(tmp)).replace("{repo}", str(REPO))


def _candles(path: Path, duplicate: bool) -> None:
    index = pd.date_range("2024-01-01", periods=40, freq="1h", tz="UTC")
    frame = pd.DataFrame({"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.5,
                          "volume": 10.0}, index=index.rename("timestamp"))
    if duplicate:
        frame = pd.concat([frame.iloc[:10], frame.iloc[9:]])
    frame.to_csv(path)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("cli")
    _candles(tmp / "good.csv", duplicate=False)
    _candles(tmp / "dup.csv", duplicate=True)
    (tmp / "exp.yaml").write_text(f"data:\n  source: {SYNTH}\nlookback: 4\n")
    env = {**os.environ, "COLUMNS": "80", "OMP_NUM_THREADS": "1",
           "TRADEWIND_STORE": str(tmp / "store")}

    def run(case: Case) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), *(_fill(a, tmp) for a in case.argv)], cwd=tmp,
                              env=env, capture_output=True, text=True, timeout=300)

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run, case) for name, case in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_installed_script_exit_code(name: str, results: dict) -> None:
    case, proc = CASES[name], results[name]
    shown = f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert proc.returncode == case.code, shown
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    assert case.stdout in proc.stdout, shown
    assert case.stderr in proc.stderr.replace("\n", " ") or case.stderr in proc.stderr, shown
    if case.shows_usage:  # click's short usage message, nothing else
        assert "Usage: tradewind" in proc.stderr and "-h' for help" in proc.stderr, shown
    else:
        assert "Usage:" not in proc.stderr, shown
    if case.json:
        json.loads(proc.stdout)  # nothing but the document on stdout


def test_every_command_has_a_case() -> None:
    from tradewind.cli import app

    commands = {c.name for c in app.registered_commands}
    groups = {g.name: g.typer_instance for g in app.registered_groups}
    covered = {case.argv[0] for case in CASES.values() if case.argv}
    covered_sub = {case.argv[:2] for case in CASES.values() if len(case.argv) > 1}
    assert commands <= covered, sorted(commands - covered)
    for group, sub_app in groups.items():
        names = {c.name for c in sub_app.registered_commands}
        missing = {n for n in names if (group, n) not in covered_sub}
        assert not missing, f"{group}: {sorted(missing)}"


def test_every_error_class_has_a_documented_code() -> None:
    import tradewind.exceptions as exceptions

    classes = [getattr(exceptions, name) for name in exceptions.__all__]
    codes = {cls.exit_code for cls in classes
             if isinstance(cls, type) and issubclass(cls, exceptions.TradewindError)}
    assert codes <= set(EXIT_CODES), sorted(codes - set(EXIT_CODES))


def test_help_epilogue_and_readme_document_every_exit_code(results: dict) -> None:
    help_text = results["help-short"].stdout
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"{code:>3}  {meaning.split(':')[0]}" in help_text, (code, help_text[-2500:])
        assert f"| {code} |" in readme, f"README's exit-code table lacks {code}"


def test_json_outputs_are_what_they_say(results: dict) -> None:
    validate = json.loads(results["data-validate-json"].stdout)
    assert validate["ok"] is True and validate["rows"] == 40
    info = json.loads(results["data-info-json"].stdout)
    assert info["n_rows"] == 400 and info["timeframe"] == "1h"
    features = json.loads(results["features-list-json"].stdout)
    assert {row["set"] for row in features} == {"smc"} and len(features) > 3
    labels = json.loads(results["labels-inspect-json"].stdout)
    assert labels["kind"] == "direction" and labels["balance"]


def test_piped_table_keeps_identifiers_whole(results: dict) -> None:
    lines = results["presets-list-piped"].stdout.splitlines()
    assert any(line.startswith("crpbot_lstm ") for line in lines), lines
    assert not any(set(line) & set("│┃━") for line in lines), "box drawing in piped output"
    dup = results["data-validate-duplicates"].stdout.splitlines()
    header = next(line for line in dup if line.startswith("severity"))
    assert header.split()[:2] == ["severity", "rule"]
    row = next(line for line in dup if "duplicate_timestamps" in line)
    assert row.split()[:2] == ["error", "duplicate_timestamps"], row
