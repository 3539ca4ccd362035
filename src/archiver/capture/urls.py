"""URL normalisation and scope: what counts as the same URL, the same host, the same site."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from archiver.catalog import host_key
from archiver.errors import CaptureError

__all__ = ["host_key", "normalize_url", "resolve", "resolve_location", "same_site", "site_of"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when re-quoting a path or query (RFC 3986 reserved + '%').
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_SPACES = re.compile(r"[\t\n\r]")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` → ``/a/c``."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


@functools.lru_cache(maxsize=65536)
def normalize_url(url: str) -> str:
    """Canonical form used for fetching and de-duplicating the queue.

    Lower-cases scheme and host, encodes an internationalised host with IDNA, drops the
    default port and the fragment, percent-encodes characters that may not appear raw,
    and gives an empty path as ``/``.  Raises :class:`CaptureError` for what cannot be fetched.

    >>> normalize_url("HTTP://Example.ORG:80/a b#frag")
    'http://example.org/a%20b'
    """
    raw = _SPACES.sub("", url.strip())
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise CaptureError(f"not a valid URL ({exc})", url=url) from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise CaptureError(f"unsupported URL scheme {scheme or '(none)'!r}", url=url)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise CaptureError("URL has no host", url=url)
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise CaptureError(f"host cannot be encoded ({exc})", url=url) from exc
    if len(host) > 253 or any(len(label) > 63 for label in host.split(".")):
        raise CaptureError("host name too long (a label over 63 or a name over 253)", url=url)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username:
        raise CaptureError("URLs with credentials are not captured", url=url)
    try:
        path = quote(
            _remove_dot_segments(_STRAY_PERCENT.sub("%25", parts.path) or "/"),
            safe=_PATH_SAFE,
            encoding="utf-8",
            errors="strict",
        )
        query = quote(
            _STRAY_PERCENT.sub("%25", parts.query),
            safe=_QUERY_SAFE,
            encoding="utf-8",
            errors="strict",
        )
    except UnicodeError as exc:  # bytes that were not UTF-8 (surrogate escapes from argv)
        raise CaptureError("URL is not valid text (bytes that are not UTF-8)", url=url) from exc
    return urlunsplit((scheme, netloc, path, query, ""))


def resolve(base: str, ref: str) -> str | None:
    """Resolve ``ref`` against ``base`` and normalise it; ``None`` for what is not fetchable."""
    ref = ref.strip()
    if not ref or ref.startswith(("#", "data:", "javascript:", "mailto:", "tel:", "about:")):
        return None
    try:
        if ref.startswith("/") and not ref.startswith("//"):
            # Root-relative (most links of a news site) resolve the same against any page of
            # the origin, so the result is cached per origin, not per page.
            return _resolve_rooted(_origin(base), ref)
        return normalize_url(urljoin(base, ref))
    except (CaptureError, ValueError):
        return None


def resolve_location(base: str, value: str) -> str | None:
    """The target of a ``Location`` header read as Latin-1 (one character per byte).

    Its bytes that are not ASCII are percent-encoded as they are, so the URL followed is the
    one the server sent: decoding them as Latin-1 and encoding again as UTF-8 would change it
    (``é`` sent as the byte E9 would become ``%C3%A9``).  UTF-8 sent raw comes out as UTF-8
    percent-encoded, as browsers read it.
    """
    raw = value.encode("latin-1", "replace")
    return resolve(base, "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw))


@functools.lru_cache(maxsize=65536)
def _resolve_rooted(origin: str, ref: str) -> str | None:
    try:
        return normalize_url(urljoin(origin + "/", ref))
    except (CaptureError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def _origin(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def site_of(url: str) -> str:
    """An approximation of the registrable domain (``www.karennews.org`` → ``karennews.org``).

    Without a public-suffix list we keep the last two labels, or three where the second-level
    label is a short generic one under a country code (``bbc.co.uk``, ``abc.net.au``).
    IP addresses and single-label hosts are their own site.
    """
    host = (urlsplit(url).hostname or "").lower()
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host) or "." not in host:
        return host
    labels = host.split(".")
    if (
        len(labels) >= 3
        and len(labels[-1]) == 2
        and labels[-2]
        in {
            "co",
            "com",
            "net",
            "org",
            "gov",
            "edu",
            "ac",
            "or",
            "ne",
            "go",
        }
    ):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to the same site (see :func:`site_of`)."""
    return site_of(a) == site_of(b)
