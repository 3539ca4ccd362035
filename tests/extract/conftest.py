"""Fixtures of the extraction tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.extract.warcs import WarcBuilder


@pytest.fixture
def warc_builder(tmp_path: Path) -> Iterator[WarcBuilder]:
    yield WarcBuilder(tmp_path / "test-00000.warc.gz")
