"""From feature rows to training data without leaks: samples, splits, normalisers, windows.

- :class:`SampleIndex`: feature rows with a full window and a known label (sample positions).
- :func:`walk_forward` / :func:`holdout_split`: purged splits over sample positions,
  checked by :func:`check_splits`.
- :class:`Normalizer`: fitted on training rows only, stored as JSON.
- :func:`shared_walk_forward`: one calendar of timestamp folds for several series.
- :class:`Windows`: batches gathered by end row over one matrix, never materialised.
"""

from tradewind.dataset.calendar import series_split, shared_walk_forward
from tradewind.dataset.leakage import check_splits
from tradewind.dataset.normalize import Normalizer, NormalizerSpec
from tradewind.dataset.samples import SampleIndex
from tradewind.dataset.series_norm import SeriesNormalizer
from tradewind.dataset.split import Split
from tradewind.dataset.splits import SplitSpec, holdout_split, make_splits, walk_forward
from tradewind.dataset.windows import Windows

__all__ = [
    "Normalizer",
    "NormalizerSpec",
    "SampleIndex",
    "SeriesNormalizer",
    "Split",
    "SplitSpec",
    "Windows",
    "check_splits",
    "holdout_split",
    "make_splits",
    "series_split",
    "shared_walk_forward",
    "walk_forward",
]
