"""A Rich progress display for fit: one bar for epochs, one for the batches of the epoch."""

from __future__ import annotations

from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tradewind.training.state import EpochRecord

__all__ = ["FitProgress"]


class FitProgress:
    """Context manager; does nothing at all when ``enabled`` is False."""

    def __init__(self, enabled: bool, epochs: int, description: str = "training") -> None:
        self._progress: Progress | None = None
        self._epochs: TaskID | None = None
        self._batches: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._epochs = self._progress.add_task(description, total=epochs)
            self._batches = self._progress.add_task("  batches", total=1)

    def __enter__(self) -> FitProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start_epoch(self, epoch: int, n_batches: int) -> None:
        if self._progress is not None and self._batches is not None:
            self._progress.reset(self._batches, total=n_batches,
                                 description=f"  epoch {epoch} batches")

    def advance_batch(self) -> None:
        if self._progress is not None and self._batches is not None:
            self._progress.advance(self._batches)

    def end_epoch(self, record: EpochRecord) -> None:
        if self._progress is not None and self._epochs is not None:
            self._progress.update(
                self._epochs,
                advance=1,
                description=(
                    f"epoch {record.epoch}: loss {record.train_loss:.4f} "
                    f"val_loss {record.val_loss:.4f} val_mcc {record.val_mcc:+.3f}"
                ),
            )
