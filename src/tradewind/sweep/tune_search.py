"""A Ray Tune search algorithm that asks the sweep driver, so Tune runs only missing trials.

Tune calls :meth:`SweepSearcher.suggest` whenever it can start a trial and
:meth:`SweepSearcher.on_trial_complete` when one ends, in the process running the Tune
loop (the driver, unless Ray Client moves that loop to the cluster's head node).
"""

from __future__ import annotations

import json
from typing import Any

from ray.tune.search import Searcher

from tradewind.sweep.driver import PlannedTrial, SweepDriver

__all__ = ["SweepSearcher"]


class SweepSearcher(Searcher):
    """Tune's view of a :class:`SweepDriver`: configs out, results in.

    A trial's Tune config is ``{"trial": key, "overrides": json}``. Nothing is saved for
    Tune's own resume: the ledger and the Optuna storage are the sweep's state.
    """

    def __init__(self, driver: SweepDriver) -> None:
        super().__init__(metric="objective", mode="max")
        self.driver = driver
        self._trials: dict[str, PlannedTrial] = {}

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        planned = self.driver.next_trial()
        if planned is None:
            return Searcher.FINISHED
        self._trials[trial_id] = planned
        return {"trial": planned.key, "overrides": json.dumps(planned.overrides)}

    def on_trial_complete(self, trial_id: str, result: dict[str, Any] | None = None,
                          error: bool = False) -> None:
        planned = self._trials.pop(trial_id, None)
        if planned is None:
            return
        summary = json.loads(result["summary"]) if result and "summary" in result else None
        if error or summary is None:
            self.driver.trial_failed(planned, "the trial raised an exception (traceback above)")
        elif "error" in summary:
            self.driver.trial_failed(planned, summary["error"])
        else:
            self.driver.trial_finished(planned, summary)

    def save(self, checkpoint_path: str) -> None:
        """Nothing to save: finished trials are in the ledger, TPE history in Optuna's storage."""

    def restore(self, checkpoint_path: str) -> None:
        """Nothing to restore (see :meth:`save`)."""
