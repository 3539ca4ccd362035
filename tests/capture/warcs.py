"""Reading back what a capture wrote (with warcio, the field's reference reader)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


@dataclass
class Rec:
    file: str
    offset: int
    type: str
    headers: dict[str, str]
    block: bytes

    @property
    def url(self) -> str:
        return self.headers.get("WARC-Target-URI", "")

    @property
    def id(self) -> str:
        return self.headers["WARC-Record-ID"]


def read_records(paths: list[Path]) -> list[Rec]:
    """Every record of ``paths`` with its raw block (no decoding of HTTP bytes)."""
    out = []
    for path in paths:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh, no_record_parse=True)
            for record in it:
                block = record.raw_stream.read()
                headers = dict(record.rec_headers.headers)
                out.append(Rec(path.name, it.get_record_offset(), record.rec_type, headers, block))
    return out
