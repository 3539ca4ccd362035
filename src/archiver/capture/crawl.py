"""The crawl loop (being written)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from archiver.collection import Collection
from archiver.model import CaptureOptions, CaptureSummary, Seed


def capture(
    seeds: Iterable[str | Seed],
    collection: Collection | str | os.PathLike[str],
    *,
    options: CaptureOptions | None = None,
) -> CaptureSummary:
    """Capture ``seeds`` into ``collection``."""
    raise NotImplementedError
