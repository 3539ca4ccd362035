"""One bad WARC file spoils nothing else (issue 13, findings 1 and 2).

A file cut inside a record header made warcio raise AttributeError through extraction, and the
revisit index, built lazily while another file was extracted, filed one file's damage under
another and stopped it.  Each file is now read on its own: a damaged file yields what precedes
the damage and a failure naming it and the offset; the others are as if run alone.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import ArchiverError, WARCFormatError
from archiver.pipeline import extract_warc, extract_warcs
from tests.extract import warc_forms as forms
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


# -- hostile framing: the records after a bad Content-Length are read again -------------------


def _framed(tmp_path: Path, name: str, bad: bytes, gz: str) -> Path:
    good = forms.record(forms.http_response(), url=forms.URL + "?after",
                        record_id="<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-0000000000aa>")  # fmt: skip
    suffix = ".warc.gz" if gz == "record" else ".warc"
    return forms.write(tmp_path / f"{name}{suffix}", [forms.warcinfo(), bad, good], gz=gz)


_BLOCK = forms.http_response()


@pytest.mark.broken_warcs
@pytest.mark.parametrize("gz", ["record", "none"], ids=["gzip-per-record", "plain"])
@pytest.mark.parametrize(
    "bad",
    [
        forms.record(_BLOCK, length=len(_BLOCK) - 300),  # 300 bytes short
        forms.record(_BLOCK, length=len(_BLOCK) + 100_000),  # past the end of the file
        forms.record(_BLOCK, length=-5),
        b"\x00 not a record\r\n" * 30,
    ],
    ids=["short", "past-the-end", "negative", "garbage"],
)
def test_the_record_after_a_bad_content_length_is_read_and_the_damage_reported(
    tmp_path: Path, bad: bytes, gz: str
) -> None:
    # issue 13: the good record after such a record was lost, and the run said nothing clear
    path = _framed(tmp_path, "hostile", bad, gz)
    out = tmp_path / "out.jsonl"
    summary = extract_warcs([path], output=out)
    urls = [json.loads(line)["url"] for line in out.read_text().splitlines()]
    assert forms.URL + "?after" in urls
    [failure] = summary.failures
    assert failure.warc_filename == path.name and failure.offset >= 0
    assert str(failure.offset) in failure.reason
    marks = {json.loads(line)["url"]: json.loads(line).get("truncated") for line in
             out.read_text().splitlines()}  # fmt: skip
    assert marks[forms.URL + "?after"] is None
    if forms.URL in marks:  # the record with the wrong length: its text may be cut
        assert marks[forms.URL] in ("bad-length", "short-block")


# -- property: a mutated file beside healthy ones ------------------------------------------------


def _healthy_output(tmp_path: Path) -> tuple[list[Path], bytes]:
    folder = tmp_path / "healthy"
    folder.mkdir(exist_ok=True)
    paths = []
    for name in ("h1", "h2"):
        paths.append(forms.write(folder / f"{name}.warc.gz", [forms.warcinfo(), forms.record(
            forms.http_response(), url=f"{forms.URL}?{name}")]))  # fmt: skip
    alone = folder / "alone.jsonl"
    extract_warcs(paths, output=alone)
    return paths, alone.read_bytes()


@pytest.mark.broken_warcs
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    gz=st.sampled_from(["record", "none", "whole"]),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 255)), max_size=4),
)
def test_a_mutated_warc_never_escapes_and_never_changes_the_others(
    tmp_path_factory: pytest.TempPathFactory,
    gz: str,
    cut: float,
    flips: list[tuple[float, int]],
) -> None:
    tmp_path = tmp_path_factory.mktemp("mutated")
    healthy, expected = _healthy_output(tmp_path)
    records = [forms.warcinfo(), forms.record(forms.http_response()),
               forms.record(forms.http_response(), url=forms.URL + "?2")]  # fmt: skip
    source = forms.write(tmp_path / "m.warc.gz", records, gz=gz)
    data = bytearray(source.read_bytes())
    for where, xor in flips:
        data[int(where * (len(data) - 1))] ^= xor
    source.write_bytes(bytes(data[: max(1, int(cut * len(data)))]))
    out = tmp_path / "together.jsonl"
    summary = extract_warcs([healthy[0], source, healthy[1]], output=out)  # raises nothing
    lines = out.read_bytes().splitlines(keepends=True)
    kept = b"".join(x for x in lines if b'"warc_filename": "h' in x)
    assert kept == expected
    assert all(f.warc_filename == "m.warc.gz" for f in summary.failures)


def test_extracting_into_a_folder_it_may_not_write_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only collection: exit 1 naming the articles file, no traceback (patched, since
    root may write anything)."""
    import errno
    import os

    from archiver.cli import main
    from archiver.errors import StorageError

    warc = _pair(tmp_path, gz=True)
    target = tmp_path / "ro" / "articles.jsonl"
    target.parent.mkdir()
    real_open = os.open

    def read_only(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(path).startswith(
            str(target.parent)
        ):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(StorageError) as info:
        extract_warcs([warc], output=target)
    assert info.value.path == target
    assert main(["extract", str(warc), "-o", str(target)]) == 1
    assert list(target.parent.iterdir()) == []
