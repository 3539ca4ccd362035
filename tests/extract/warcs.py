"""Test helpers: an article page and WARC files built with warcio's own writer."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

#: A news page with every kind of furniture around a four-paragraph article.
ARTICLE_HTML = (Path(__file__).parent / "pages" / "article.html").read_text(encoding="utf-8")

ARTICLE_PARAGRAPHS = [
    "Heavy rain over three days has flooded the only road along the river, leaving villages "
    "cut off from the market town.",
    "Villagers said the water rose faster than in any year they remember, and that boats are "
    "now the only way to reach the clinic.",
    "Help on the way",
    "Local volunteers have begun carrying rice and medicine by boat, and the township office "
    "said repairs would begin once the water falls.",
]


@dataclass
class WarcBuilder:
    """Writes a small gzip-per-record WARC/1.1 file with warcio's WARCWriter."""

    path: Path
    _buffer: io.BytesIO = field(default_factory=io.BytesIO)

    def __post_init__(self) -> None:
        self.writer = WARCWriter(self._buffer, gzip=True, warc_version="1.1")

    def response(
        self,
        url: str,
        body: bytes,
        *,
        status: str = "200 OK",
        content_type: str = "text/html; charset=utf-8",
        date: str = "2024-05-01T10:00:00Z",
    ) -> str:
        http = StatusAndHeaders(
            status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        )  # fmt: skip
        record = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )  # fmt: skip
        self._write(record)
        return str(record.rec_headers.get_header("WARC-Payload-Digest"))

    def revisit(self, url: str, *, digest: str, refers_uri: str, refers_date: str) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(
            url, digest=digest, refers_to_uri=refers_uri, refers_to_date=refers_date,
            http_headers=http,
        )  # fmt: skip
        self._write(record)

    def request(self, url: str) -> None:
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
        self._write(self.writer.create_warc_record(url, "request", http_headers=http))

    def _write(self, record: Any) -> None:
        self.writer.write_record(record)
        if record.raw_stream is not None:  # warcio spools header-only records to a temp file
            record.raw_stream.close()

    def close(self) -> Path:
        self.path.write_bytes(self._buffer.getvalue())
        return self.path
