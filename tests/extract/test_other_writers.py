"""WARC files written by other tools, made in the test: wget's ``--warc-file`` and warcio's own
writer.  Extraction and verify's record checks read them as the field's tools do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from archiver.pipeline import extract_warcs
from archiver.testing import SiteServer
from archiver.warc.check import check_warc
from tests.conftest import warcio_check_in_process
from tests.extract.warcs import ARTICLE_HTML, ARTICLE_PARAGRAPHS, WarcBuilder


def _wget() -> str:
    found = shutil.which("wget")
    if found is None:
        if os.geteuid() == 0:  # CI: make installs it
            pytest.fail("no wget although 'make test' installs it when run as root")
        pytest.skip("wget is not installed (apt-get install wget)")
    return found


def test_a_warc_written_by_wget_is_read_by_extraction_and_verify(
    example_site: SiteServer, tmp_path: Path
) -> None:
    wget = _wget()
    page = example_site.url(
        "/2023/11/nug-and-resistance-forces-urge-junta-troops-to-defect-before-time-runs-out/"
    )
    base = tmp_path / "by-wget"
    subprocess.run(
        [wget, "--quiet", f"--warc-file={base}", "--page-requisites", "--no-host-directories",
         "--directory-prefix", str(tmp_path / "files"), "--tries=1", "--timeout=20", page],
        check=False, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    warc = base.with_name(base.name + ".warc.gz")
    assert warc.is_file() and warc.stat().st_size > 1000
    code, output = warcio_check_in_process([warc])
    assert code == 0, output
    checked = check_warc(warc)
    assert checked.ok and len(checked.records) >= 4, checked
    out = tmp_path / "articles.jsonl"
    summary = extract_warcs([warc], output=out)
    assert summary.ok, summary.failures
    [article] = [json.loads(line) for line in out.read_text().splitlines()]
    assert article["url"] == page and "Junta" in article["title"]
    assert int(article["word_count"]) > 200


def test_a_warc_written_by_warcio_is_read_by_extraction_and_verify(tmp_path: Path) -> None:
    builder = WarcBuilder(tmp_path / "by-warcio.warc.gz")
    builder.request("https://news.example.org/a")
    builder.response("https://news.example.org/a", ARTICLE_HTML.encode())
    warc = builder.close()
    checked = check_warc(warc)
    assert checked.ok and len(checked.records) == 2
    out = tmp_path / "articles.jsonl"
    summary = extract_warcs([warc], output=out)
    assert summary.ok and summary.written == 1
    assert ARTICLE_PARAGRAPHS[0] in out.read_text()
