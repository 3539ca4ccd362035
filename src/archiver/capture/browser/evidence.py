"""The records that keep what the browser showed: screenshot, rendered DOM, page metadata.

Each is written in the same group as the page's request and response, and names the
response in ``WARC-Concurrent-To``:

- ``resource``, ``urn:screenshot:<url>``, ``image/png``: the whole page as rendered (the URI
  Browsertrix gives its screenshots);
- ``resource``, ``urn:dom:<url>``, ``text/html; charset=utf-8``: the DOM once the page had
  loaded, scrolled and settled, serialised (extraction falls back to it when the HTML as
  served holds no article text);
- ``metadata`` (``application/warc-fields``): the page's links, then what the browser did and
  every request the page made, with its status (``resource: 200 GET image <url>``).
"""

from __future__ import annotations

from collections.abc import Sequence

from archiver.capture.browser.driver import PageResult
from archiver.capture.exchange import Exchange
from archiver.capture.records import metadata_record
from archiver.model import DOM_PREFIX, SCREENSHOT_PREFIX
from archiver.warc.writer import RecordSpec, digest_of, warc_date

__all__ = ["browser_fields", "evidence_records"]


def browser_fields(result: PageResult, chromium: str) -> list[tuple[str, str]]:
    """The warc-fields lines that say what the browser did with the page."""
    fields = [
        ("browser", chromium),
        ("browserOutcome", result.error or "loaded"),
        ("browserLoadMs", f"{result.seconds * 1000:.0f}"),
        ("scrollSteps", str(result.scroll_steps)),
    ]
    if result.final_url and result.final_url != result.url:
        fields.append(("finalUrl", result.final_url))
    if result.screenshot is not None:
        fields.append(("screenshot", SCREENSHOT_PREFIX + result.url))
    if result.dom is not None:
        fields.append(("renderedDom", DOM_PREFIX + result.url))
    for res in result.resources:
        status = str(res.status) if res.status is not None else "failed"
        line = f"{status} {res.method} {res.type} {res.url}"
        if res.failure:
            line += f" {res.failure}"
        fields.append(("resource", line))
    return fields


def evidence_records(
    ex: Exchange,
    response: RecordSpec,
    result: PageResult,
    *,
    chromium: str,
    outlinks: Sequence[tuple[str, str]],
    requisites: Sequence[tuple[str, str]],
    via: str | None,
    algorithm: str,
    title: str | None = None,
) -> list[RecordSpec]:
    """The metadata record, then the screenshot and DOM records, of a page the browser loaded."""
    date = warc_date(ex.date)
    records = [
        metadata_record(
            ex,
            response,
            outlinks=outlinks,
            requisites=requisites,
            via=via,
            extra_fields=browser_fields(result, chromium),
            kind="page",
            title=title,
        )
    ]
    if result.screenshot is not None:
        records.append(
            _resource(
                SCREENSHOT_PREFIX + ex.url,
                date,
                response,
                result.screenshot,
                "image/png",
                algorithm,
            )
        )
    if result.dom is not None:
        dom = result.dom.encode("utf-8", "replace")
        records.append(
            _resource(
                DOM_PREFIX + ex.url, date, response, dom, "text/html; charset=utf-8", algorithm
            )
        )
    return records


def _resource(
    uri: str, date: str, response: RecordSpec, block: bytes, content_type: str, algorithm: str
) -> RecordSpec:
    digest = digest_of(algorithm, block)
    return RecordSpec(
        rec_type="resource",
        headers=[
            ("WARC-Target-URI", uri),
            ("WARC-Date", date),
            ("WARC-Concurrent-To", response.record_id),
            # a resource record's block is its payload: indexers read the digest from here
            ("WARC-Payload-Digest", digest),
        ],
        block=block,
        length=len(block),
        content_type=content_type,
        block_digest=digest,
        # a PNG does not shrink (its pixels are deflated already): stored, as JPEGs are
        compress_level=0 if content_type == "image/png" else 6,
    )
