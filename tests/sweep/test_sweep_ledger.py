"""Ledger, planning and leaderboard without Ray: what resumes, what ranks first, what is written."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import fake_record, write_returns, write_sweep

from tradewind.exceptions import ConfigError
from tradewind.sweep import (
    Ledger,
    SweepManifest,
    build_leaderboard,
    load_sweep,
    rank_trials,
    run_sweep,
    trial_key,
    write_leaderboard,
)
from tradewind.sweep.driver import SweepDriver
from tradewind.sweep.ledger import sweep_lock
from tradewind.sweep.space import check_space


def _summary(key: str, low: float) -> dict:
    record = fake_record(key, ci=(low, low + 0.1))
    return {k: v for k, v in record.to_dict().items()
            if k not in ("key", "number", "overrides", "finished_at")}


def test_ledger_records_round_trip_and_a_finish_clears_the_failure(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.write_failure("abc", {"lookback": 4}, "DataError: too few rows")
    assert ledger.failures()["abc"]["error"] == "DataError: too few rows"
    record = fake_record("abc", number=3, overrides={"lookback": 4})
    ledger.write(record)
    assert ledger.records() == {"abc": record}
    assert ledger.failures() == {}
    raw = json.loads((tmp_path / "ledger" / "abc.json").read_text())
    assert raw["overrides"] == {"lookback": 4} and raw["mcc_ci_low"] == -0.05
    raw["surprise"] = 1
    (tmp_path / "ledger" / "abc.json").write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="surprise"):
        ledger.records()


def test_a_second_driver_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    with sweep_lock(tmp_path), pytest.raises(ConfigError, match="in use by another"), \
            sweep_lock(tmp_path):
        pass
    with sweep_lock(tmp_path):  # released afterwards
        pass


def test_the_grid_plan_skips_finished_trials_in_grid_order(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path / "cfg"))
    grid = check_space(sweep)
    ledger = Ledger(tmp_path / "sweep")
    for number in (0, 5):
        ledger.write(fake_record(trial_key(grid[number]), number=number, overrides=grid[number]))
    driver = SweepDriver(sweep, ledger, grid=grid, tracker=None, progress=False)
    assert driver.to_run == 6
    planned = [driver.next_trial() for _ in range(6)]
    assert [p.number for p in planned] == [1, 2, 3, 4, 6, 7]
    assert driver.next_trial() is None
    driver.trial_finished(planned[0], _summary(planned[0].key, 0.02))
    driver.trial_failed(planned[1], "ValueError: boom")
    assert set(ledger.records()) == {trial_key(grid[0]), trial_key(grid[5]), planned[0].key}
    assert ledger.failures()[planned[1].key]["error"] == "ValueError: boom"
    again = SweepDriver(sweep, ledger, grid=grid, tracker=None, progress=False)
    assert again.to_run == 5  # the failed one runs again


def test_tpe_resume_fails_killed_trials_and_asks_only_for_the_missing(tmp_path: Path) -> None:
    space = {"lookback": [4, 5, 6, 7, 8, 9], "training.lr": {"low": 0.001, "high": 0.01, "log": True}}
    search = {"method": "tpe", "n_trials": 3, "seed": 1, "startup_trials": 2}
    sweep = load_sweep(write_sweep(tmp_path / "cfg", space=space, search=search))
    ledger = Ledger(tmp_path / "sweep")
    first = SweepDriver(sweep, ledger, grid=[], tracker=None, progress=False)
    a, b = first.next_trial(), first.next_trial()
    assert a is not None and b is not None and a.key != b.key
    first.trial_finished(a, _summary(a.key, 0.03))
    # the run is killed here: b stays RUNNING in optuna.db, a is in the ledger
    from optuna.trial import TrialState

    second = SweepDriver(sweep, ledger, grid=[], tracker=None, progress=False)
    assert second.to_run == 2
    study = second.study
    states = {t.number: t.state for t in study.get_trials(deepcopy=False)}
    assert states[a.number] == TrialState.COMPLETE and states[b.number] == TrialState.FAIL
    c, d = second.next_trial(), second.next_trial()
    assert c is not None and d is not None
    assert len({a.key, c.key, d.key}) == 3 and second.next_trial() is None
    second.trial_finished(c, _summary(c.key, 0.01))
    assert study.trials[c.number].value == pytest.approx(0.01)
    assert study.trials[c.number].user_attrs["key"] == c.key


def test_the_tune_searcher_travels_without_clients_and_keeps_its_plan(tmp_path: Path) -> None:
    from tradewind.sweep.tune_search import SweepSearcher

    space = {"lookback": [4, 5, 6]}
    sweep = load_sweep(write_sweep(tmp_path / "cfg", space=space,
                                   search={"method": "tpe", "n_trials": 2}))
    driver = SweepDriver(sweep, Ledger(tmp_path / "sweep"), grid=[], tracker=None, progress=False)
    searcher = SweepSearcher(driver)
    config = searcher.suggest("t1")
    assert set(config) == {"trial", "overrides"} and json.loads(config["overrides"])["lookback"] in (4, 5, 6)
    copy = pickle.loads(pickle.dumps(searcher))  # Tune saves its search algorithm
    assert copy.driver._study is None and copy.driver.issued == 1
    searcher.on_trial_complete("t1", {"summary": json.dumps({"key": config["trial"], "error": "DataError: x"})})
    assert Ledger(tmp_path / "sweep").failures()[config["trial"]]["error"] == "DataError: x"


def test_ranking_uses_the_lower_bound_not_the_point_estimate() -> None:
    lucky = fake_record("lucky", mcc=0.10, ci=(-0.02, 0.22))  # best point, wide interval
    steady = fake_record("steady", mcc=0.05, ci=(0.01, 0.09))
    collapsed = fake_record("collapsed", mcc=0.0, ci=(0.0, 0.0))  # one class predicted
    unknown = fake_record("unknown", mcc=0.2, ci=(None, None))
    worse = fake_record("worse", mcc=0.01, ci=(-0.08, 0.1))
    ranked = rank_trials([unknown, worse, collapsed, lucky, steady])
    assert [r.key for r in ranked] == ["steady", "lucky", "worse", "collapsed", "unknown"]


def test_leaderboard_deflates_the_winner_and_estimates_pbo(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    records = []
    for i in range(6):
        rel = write_returns(tmp_path, f"k{i}", rng.normal(0.0, 0.01, size=600), start=f"2024-01-0{1 + i % 2}")
        records.append(fake_record(f"k{i}", number=i, ci=(-0.1 + 0.01 * i, 0.1), returns=rel))
    board = build_leaderboard("demo", records, tmp_path, n_blocks=8)
    assert board.winner is not None and board.winner.key == "k5"
    assert board.n_trials == 6 and 0.0 <= board.deflated_sharpe <= 1.0
    assert board.pbo is not None and board.pbo.n_strategies == 6
    assert board.pbo.n_periods == 624  # the union of the trials' bars, flat where absent
    json_path, csv_path = write_leaderboard(board, tmp_path)
    payload = json.loads(json_path.read_text())
    assert payload["ranked_by"] == "mcc_ci_low" and payload["winner"]["key"] == "k5"
    assert payload["winner"]["deflated_sharpe_n_trials"] == 6
    assert [r["rank"] for r in payload["rows"]] == [1, 2, 3, 4, 5, 6]
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("rank,key,number,overrides,mcc,mcc_ci_low")
    assert lines[1].startswith("1,k5,5,")


def test_a_leaderboard_without_returns_says_why_there_is_no_pbo(tmp_path: Path) -> None:
    board = build_leaderboard("demo", [fake_record("a"), fake_record("b")], tmp_path)
    assert board.pbo is None and board.deflated_sharpe is None
    assert any("PBO needs the returns" in n for n in board.notes)


def test_a_finished_sweep_resumes_without_starting_ray(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path / "cfg", space={"lookback": [4, 6]}))
    out = tmp_path / "sweep"
    ledger = Ledger(out)
    rng = np.random.default_rng(0)
    for number, point in enumerate(check_space(sweep)):
        key = trial_key(point)
        rel = write_returns(out, key, rng.normal(0, 0.01, size=64))
        ledger.write(fake_record(key, number=number, overrides=point, returns=rel))
    from rich.console import Console

    console = Console(record=True, width=200)
    result = run_sweep(sweep, out_dir=out, console=console)
    assert "2 finished, 0 to run" in console.export_text()
    assert result.ran == 0 and result.finished_before == 2 and result.complete
    assert result.leaderboard.n_trials == 2 and result.leaderboard_json.is_file()
    assert SweepManifest.read(out).fingerprint == sweep.fingerprint


def test_a_directory_of_another_base_experiment_is_not_resumed(tmp_path: Path) -> None:
    path = write_sweep(tmp_path / "cfg", space={"lookback": [4, 6]})
    out = tmp_path / "sweep"
    other = load_sweep(path, ["training.epochs=5"])
    SweepManifest(name="sweep", fingerprint=other.fingerprint, method="grid", sweep_file=str(path),
                  experiment="exp.yaml", created_at="2026-01-01T00:00:00+00:00").write(out)
    with pytest.raises(ConfigError, match=r"different base experiment.*--no-resume"):
        run_sweep(load_sweep(path), out_dir=out, progress=False)
    (out / "notes.txt").write_text("mine")
    Ledger(out).write(fake_record("old"))
    from rich.console import Console

    from tradewind.sweep.runner import _clear

    _clear(out, Console(quiet=True))  # what --no-resume does first
    assert sorted(p.name for p in out.iterdir()) == [".lock", "notes.txt"]
