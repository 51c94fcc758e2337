"""A scheduled retrain's end inside the live loop: a failure is counted and printed, and a
new champion behind the followed registry ref is resolved, admitted and handed over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd
from rich.console import Console

from tradewind.artifacts.digest import predictor_digest
from tradewind.artifacts.verdict import BundleVerdict, admit, bundle_verdict
from tradewind.exceptions import TradewindError
from tradewind.live.model_ref import Predictor, resolve_model
from tradewind.live.retrain import Retrainer, RetrainFinished

if TYPE_CHECKING:
    from tradewind.live.loop import LiveResult

__all__ = ["Follow", "Takeover", "retrain_tick", "wait_for_retrain"]


@dataclass(frozen=True)
class Follow:
    """The registry ref to resolve again after a retrain, and how to admit what it names."""

    ref: str | None
    allow_refused: bool
    public_key: Path | None


class Takeover(NamedTuple):
    """A new champion, its registry version and its admitted verdict."""

    predictor: Predictor
    version: str | None
    verdict: BundleVerdict


def retrain_tick(retrainer: Retrainer, bar_clock: pd.Timestamp, result: LiveResult,
                  out: Console, follow: Follow, predictor: Predictor) -> Takeover | None:
    """Poll the running retrain, start a due one; the new champion when one took over."""
    finished = retrainer.poll()
    new = None if finished is None else _finished(retrainer, finished, result, out, follow,
                                                   predictor)
    if retrainer.maybe_start(bar_clock):
        result.retrains_started += 1
        out.print(f"{bar_clock:%Y-%m-%d %H:%M} retrain started: {' '.join(retrainer.command())}",
                  highlight=False)
    return new


def _finished(retrainer: Retrainer, finished: RetrainFinished, result: LiveResult,
              out: Console, follow: Follow, predictor: Predictor) -> Takeover | None:
    if not finished.ok:
        result.retrains_failed += 1
        tail = finished.stderr_tail.strip().splitlines()[-1:] or ["(no stderr)"]
        out.print(f"[yellow]warning:[/] retrain exited {finished.exit_code}: {tail[0]} "
                  "(recorded in the log's retrains table); the live loop goes on", highlight=False)
        return None
    if follow.ref is None:
        return None
    s = retrainer.schedule
    try:
        fresh, fresh_version = resolve_model(follow.ref, tracking_uri=s.tracking_uri,
                                             registry_root=s.registry_root,
                                             public_key=follow.public_key)
        if predictor_digest(fresh) == predictor_digest(predictor):
            return None
        from tradewind.artifacts import Registry

        override = None if fresh_version is None else Registry(
            s.tracking_uri, root=Path(s.registry_root)).override_reason(fresh_version)
        fresh_verdict = admit(bundle_verdict(fresh, override_reason=override),
                              allow_refused=follow.allow_refused, what="live")
        fresh.check_timeframe(retrainer.timeframe, "live")
    except TradewindError as err:
        out.print(f"[yellow]warning:[/] {follow.ref!r} after the retrain: {err}; keeping the "
                  "current model", highlight=False)
        return None
    result.switched_to.append(predictor_digest(fresh))
    return Takeover(fresh, fresh_version, fresh_verdict)


def wait_for_retrain(retrainer: Retrainer | None, result: LiveResult, out: Console) -> LiveResult:
    """The source ended: wait for a running retrain so its end is recorded."""
    if retrainer is not None and retrainer.running:
        finished = retrainer.poll(wait=True)
        if finished is not None and not finished.ok:
            result.retrains_failed += 1
            out.print(f"[yellow]warning:[/] retrain exited {finished.exit_code} (recorded in "
                      "the log's retrains table)", highlight=False)
    return result
