"""One bad WARC file spoils nothing else (issue 13, findings 1 and 2).

A file cut inside a record header made warcio raise AttributeError through extraction, and the
revisit index, built lazily while another file was extracted, filed one file's damage under
another and stopped it.  Each file is now read on its own: a damaged file yields what precedes
the damage and a failure naming it and the offset; the others are as if run alone.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from archiver.errors import ArchiverError, WARCFormatError
from archiver.pipeline import extract_warc, extract_warcs
from tests.extract.warcs import ARTICLE_HTML, WarcBuilder

URL = "https://news.example.org/2024/05/flood"


def _pair(tmp_path: Path, gz: bool) -> Path:
    """A small WARC: one article response, one revisit of it (gzip per record or plain)."""
    builder = WarcBuilder(tmp_path / "pair.warc.gz")
    digest = builder.response(URL, ARTICLE_HTML.encode())
    builder.revisit(URL + "?again", digest=digest, refers_uri=URL,
                    refers_date="2024-05-01T10:00:00Z")  # fmt: skip
    path = builder.close()
    if gz:
        return path
    plain = tmp_path / "pair.warc"
    with gzip.open(path, "rb") as fh:  # gzip-per-record members read as one stream
        plain.write_bytes(fh.read())
    return plain


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "plain"])
def test_a_warc_cut_at_every_byte_raises_only_archiver_errors(tmp_path: Path, gz: bool) -> None:
    whole = _pair(tmp_path, gz).read_bytes()
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    step = max(1, len(whole) // 1500)  # every byte of the headers, evenly through the bodies
    outcomes = set()
    for end in range(0, len(whole), step):
        cut.write_bytes(whole[:end])
        try:
            articles = list(extract_warc(cut))
        except WARCFormatError as exc:
            assert exc.path is not None and "cut.warc" in str(exc.path)
            outcomes.add("error")
        except ArchiverError:
            outcomes.add("other archiver error")
        else:
            # nothing is made of a cut record: an article only from whole ones
            for article in articles:
                assert article.source is not None
                assert article.source.offset + article.source.length <= end
            outcomes.add("read")
    assert "error" in outcomes


def test_a_damaged_file_leaves_the_other_files_output_identical(tmp_path: Path) -> None:
    healthy = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        healthy.append(_pair(folder, gz=True).rename(tmp_path / f"{name}.warc.gz"))
    alone = tmp_path / "alone.jsonl"
    first = extract_warcs(healthy, output=alone)
    assert first.ok and first.written == 4
    damaged = tmp_path / "c.warc.gz"
    data = healthy[0].read_bytes()
    damaged.write_bytes(data[: len(data) // 2])  # cut in the middle of its first record
    together = tmp_path / "together.jsonl"
    summary = extract_warcs([*healthy, damaged], output=together)
    assert (
        hashlib.sha256(together.read_bytes()).digest()
        == hashlib.sha256(alone.read_bytes()).digest()
    )
    assert summary.written == 4
    assert [f.warc_filename for f in summary.failures] == ["c.warc.gz"]
    # and the damaged file first: the revisit index is built before it is needed
    summary = extract_warcs([damaged, *healthy], output=together)
    assert summary.written == 4 and [f.warc_filename for f in summary.failures] == ["c.warc.gz"]
