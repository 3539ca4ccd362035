"""The two WARC parsers hold one verdict: ``warc/reader.py`` (records, for extraction and
indexing) and ``warc/check.py`` (digests, for verify) find the same records at the same offsets
in every form both read, and the same place where a damaged file breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.errors import WARCFormatError
from archiver.warc.check import check_warc
from archiver.warc.reader import iter_records
from tests.extract import warc_forms as forms

pytestmark = pytest.mark.broken_warcs


def _three(eol: bytes = b"\r\n") -> list[bytes]:
    return [
        forms.warcinfo(eol),
        forms.record(forms.http_response(), eol=eol),
        forms.record(
            forms.http_response(),
            url=forms.URL + "?2",
            eol=eol,
            record_id="<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-000000000002>",
        ),
    ]


@pytest.mark.parametrize("gz", ["record", "none", "whole"])
@pytest.mark.parametrize("eol", [b"\r\n", b"\n", b"\r\r\n"], ids=["CRLF", "LF", "CRCRLF"])
def test_both_readers_find_the_same_records(tmp_path: Path, gz: str, eol: bytes) -> None:
    path = forms.write(tmp_path / ("f.warc.gz" if gz != "none" else "f.warc"), _three(eol), gz=gz)
    read = [(offset, r.rec_headers.get_header("WARC-Record-ID")) for r, offset, _ in
            iter_records(path)]  # fmt: skip
    checked = check_warc(path)
    assert checked.ok, checked
    assert len(read) == 3
    if gz == "whole":
        # verify names a record by its gzip member (here the one member of the file, offset
        # 0); extraction by its offset in the decompressed stream, marked "decompressed"
        assert [c.record_id for c in checked.records] == [i for _, i in read]
        assert {c.offset for c in checked.records} == {0}
    else:
        assert [(c.offset, c.record_id) for c in checked.records] == read


@pytest.mark.parametrize("gz", ["record", "none"])
def test_both_readers_say_a_cut_file_is_damaged(tmp_path: Path, gz: str) -> None:
    records = _three()
    whole = forms.write(tmp_path / ("w.warc.gz" if gz == "record" else "w.warc"), records, gz=gz)
    data = whole.read_bytes()
    cut = whole.with_name("cut-" + whole.name)
    cut.write_bytes(data[: len(data) - 200])
    with pytest.raises(WARCFormatError):
        list(iter_records(cut))
    assert not check_warc(cut).ok


@pytest.mark.parametrize("tail", [b"", b"\x00garbage" * 20], ids=["cut", "cut-then-garbage"])
def test_a_gzip_member_cut_anywhere_is_damage_never_a_quiet_end(
    tmp_path: Path, tail: bytes
) -> None:
    # warcio ends quietly when a member is cut in its first bytes, and reads a member cut
    # before its checksum as whole: either hid a truncated file from `archiver index`
    path = forms.write(tmp_path / "w.warc.gz", _three())
    data = path.read_bytes()
    last = [offset for _, offset, _ in iter_records(path)][-1]
    cut = tmp_path / "cut.warc.gz"
    for end in range(last + 1, len(data)):
        cut.write_bytes(data[:end] + tail)
        with pytest.raises(WARCFormatError):
            list(iter_records(cut))
