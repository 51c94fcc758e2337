"""The leaderboard: trials ranked by the lower bound of their MCC interval.

Ranking by the point estimate rewards luck: with many trials, the best point estimate is
mostly the trial whose out-of-sample rows happened to be kind. The lower bound of the
block-bootstrap interval asks "how good is this config at least, plausibly" and so prefers
a steady edge over a noisy one. Because picking the best of many still flatters it, the
winner's Sharpe ratio is deflated by the number of trials (Bailey & López de Prado), and
the probability of backtest overfitting is estimated over all trials' out-of-sample
returns (CSCV, :func:`tradewind.evaluation.probability_of_backtest_overfitting`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from tradewind.backtest import deflated_sharpe_ratio
from tradewind.data.atomic import write_text_atomic
from tradewind.evaluation import OverfittingResult, probability_of_backtest_overfitting
from tradewind.evaluation._json import json_safe
from tradewind.sweep.ledger import TrialRecord

__all__ = [
    "Leaderboard",
    "build_leaderboard",
    "leaderboard_table",
    "rank_trials",
    "write_leaderboard",
]

_CSV_COLUMNS = ("rank", "key", "number", "overrides", "mcc", "mcc_ci_low", "mcc_ci_high",
                "ci_level", "gate_passed", "gate_failing", "sharpe", "sharpe_ci_low",
                "sharpe_ci_high", "n_trades", "total_return", "max_drawdown", "accuracy",
                "n_oos_rows")


@dataclass(frozen=True)
class Leaderboard:
    """The ranking and what it is worth.

    ``deflated_sharpe`` is the winner's deflated Sharpe ratio given ``n_trials`` tried
    (a probability; None without a backtest); ``pbo`` the probability of backtest
    overfitting over the trials' returns, None with a ``notes`` line saying why.
    """

    sweep: str
    rows: list[TrialRecord]
    n_trials: int
    deflated_sharpe: float | None
    pbo: OverfittingResult | None
    notes: list[str]

    @property
    def winner(self) -> TrialRecord | None:
        """The top trial, or None when nothing finished."""
        return self.rows[0] if self.rows else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``leaderboard.json``."""
        winner = self.winner
        return json_safe({
            "sweep": self.sweep,
            "ranked_by": "mcc_ci_low",
            "ranking": "lower bound of the MCC interval, best first; ties by MCC, then key; "
                       "zero-width (one-class) intervals after real ones, none last",
            "n_trials": self.n_trials,
            "winner": None if winner is None else {
                "key": winner.key,
                "overrides": winner.overrides,
                "deflated_sharpe": self.deflated_sharpe,
                "deflated_sharpe_n_trials": self.n_trials,
            },
            "pbo": None if self.pbo is None else self.pbo.to_dict(),
            "notes": self.notes,
            "rows": [{"rank": i + 1, **r.to_dict()} for i, r in enumerate(self.rows)],
        })


def _tier(record: TrialRecord) -> int:
    """0: a real interval; 1: a zero-width one (a single predicted class); 2: none."""
    low, high = record.mcc_ci_low, record.mcc_ci_high
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return 2
    return 1 if high - low <= 1e-12 else 0


def rank_trials(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """Best first by MCC lower bound; ties by point MCC, then key.

    A zero-width interval (the model predicted one class, so every resample's MCC is 0
    by convention) is no evidence of a 0 lower bound: such trials rank after every trial
    with a real interval, and trials without an interval come last.
    """
    def key(r: TrialRecord) -> tuple[int, float, float, str]:
        tier = _tier(r)
        return (tier, -(r.mcc_ci_low or 0.0) if tier < 2 else 0.0, -r.mcc, r.key)

    return sorted(records, key=key)


def _returns(sweep_dir: Path, record: TrialRecord) -> pd.Series | None:
    if record.returns is None or not (sweep_dir / record.returns).is_file():
        return None
    frame = pd.read_parquet(sweep_dir / record.returns)
    return frame["return"]


def _pbo(sweep_dir: Path, rows: list[TrialRecord], n_blocks: int,
         notes: list[str]) -> OverfittingResult | None:
    series = {r.key: s for r in rows if (s := _returns(sweep_dir, r)) is not None}
    if len(series) < 2:
        notes.append(f"PBO needs the returns of at least 2 trials; {len(series)} have a backtest")
        return None
    if len(series) < len(rows):
        notes.append(f"PBO over the {len(series)} of {len(rows)} trials with returns "
                     "(the others had no backtest or their files are missing)")
    # bars outside a trial's backtest are bars without a position: return 0
    matrix = pd.concat(series, axis=1).sort_index().fillna(0.0).to_numpy()
    if len(matrix) < 2 * n_blocks:
        notes.append(f"PBO skipped: {len(matrix)} bars cannot fill {n_blocks} blocks")
        return None
    return probability_of_backtest_overfitting(matrix, n_blocks=n_blocks)


def build_leaderboard(sweep: str, records: Iterable[TrialRecord], sweep_dir: Path, *,
                      n_blocks: int = 16) -> Leaderboard:
    """Rank finished trials; deflate the winner's Sharpe; estimate PBO over all of them."""
    rows = rank_trials(records)
    notes: list[str] = []
    dsr = None
    if rows:
        winner_returns = _returns(sweep_dir, rows[0])
        if winner_returns is not None:
            value = deflated_sharpe_ratio(winner_returns.to_numpy(), n_trials=len(rows))
            dsr = value if math.isfinite(value) else None
        else:
            notes.append("no deflated Sharpe: the winner has no backtest returns")
    pbo = _pbo(sweep_dir, rows, n_blocks, notes)
    return Leaderboard(sweep=sweep, rows=rows, n_trials=len(rows), deflated_sharpe=dsr,
                       pbo=pbo, notes=notes)


def write_leaderboard(board: Leaderboard, sweep_dir: Path) -> tuple[Path, Path]:
    """Write ``leaderboard.json`` and ``leaderboard.csv`` atomically; return both paths."""
    payload = board.to_dict()
    json_path = write_text_atomic(sweep_dir / "leaderboard.json",
                                  json.dumps(payload, indent=2, allow_nan=False) + "\n")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in payload["rows"]:
        writer.writerow({
            **row,
            "overrides": json.dumps(row["overrides"], sort_keys=True),
            "gate_failing": ";".join(row["gate_failing"]),
        })
    csv_path = write_text_atomic(sweep_dir / "leaderboard.csv", buffer.getvalue())
    return json_path, csv_path


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None or not np.isfinite(value) else format(value, fmt)


def _overrides(record: TrialRecord) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in record.overrides.items())


def leaderboard_table(board: Leaderboard, top: int | None = 20) -> Table:
    """A Rich table of the best ``top`` trials (all with None)."""
    level = board.rows[0].ci_level if board.rows else 0.95
    table = Table(title=f"Sweep {board.sweep}: {board.n_trials} trials ranked by the lower "
                        f"bound of the MCC {level:.0%} interval", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("trial", no_wrap=True)
    table.add_column("overrides", overflow="fold", ratio=1)
    table.add_column("MCC", justify="right", no_wrap=True)
    table.add_column(f"MCC {level:.0%} CI", no_wrap=True)
    table.add_column("gate", overflow="fold")
    table.add_column("Sharpe after costs", justify="right")
    table.add_column("trades", justify="right")
    for i, r in enumerate(board.rows[:top] if top else board.rows):
        ci = ("" if r.mcc_ci_low is None or r.mcc_ci_high is None
              else f"[{r.mcc_ci_low:+.3f}, {r.mcc_ci_high:+.3f}]")
        gate = "PASS" if r.gate_passed else f"REFUSED ({len(r.gate_failing)})"
        if _tier(r) == 1:
            ci += " one class"
        table.add_row(str(i + 1), r.key, _overrides(r), f"{r.mcc:+.3f}", ci, gate,
                      _num(r.sharpe, "+.2f"), "" if r.n_trades is None else str(r.n_trades))
    return table
