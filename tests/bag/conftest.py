from __future__ import annotations

from pathlib import Path

import pytest

from archiver.bag import BagSummary, make_bag
from archiver.collection import Collection
from tests.bag.helpers import make_collection


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return make_collection(tmp_path / "karen-news")


@pytest.fixture
def bag(collection: Collection, tmp_path: Path) -> BagSummary:
    return make_bag(
        collection,
        tmp_path / "bags" / "karen-news-bag",
        info={"Source-Organization": "Karen News", "Contact-Email": "archive@example.org"},
    )
