"""Building, serialising and safely opening BagIt bags (not written yet)."""

from __future__ import annotations

from pathlib import Path


def make_bag(collection: str | Path, bag_dir: str | Path) -> Path:
    """Package a collection as a BagIt 1.0 bag."""
    raise NotImplementedError
