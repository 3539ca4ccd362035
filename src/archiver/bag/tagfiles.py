"""Reading and writing BagIt tag files: bagit.txt, bag-info.txt, manifests, fetch.txt.

Readers never raise on bad content: they return what they could read plus a list of
:class:`TagIssue` (code, message, line), so a verification can report every problem.  Paths in
manifests and fetch.txt are decoded as RFC 8493 §2.1.3 says (``%0A``, ``%0D``, ``%25``) and
judged by :func:`unsafe_reason` before anything touches the file system.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archiver.bag.tagread import shown
from archiver.textenc import is_text_encoding

__all__ = [
    "BagDeclaration",
    "FetchEntry",
    "ManifestEntry",
    "TagIssue",
    "decode_path",
    "encode_path",
    "format_bag_info",
    "format_manifest",
    "manifest_algorithm",
    "parse_bag_info",
    "parse_bagit_txt",
    "parse_fetch",
    "parse_manifest",
    "read_tag_text",
    "unsafe_reason",
]

Severity = Literal["error", "warning"]
#: a tag file's text, whole, or its lines as ``(line number, text)`` (a :class:`TagLines`)
Lines = str | Iterable[tuple[int, str]]
#: bytes a manifest path may hold (Linux's PATH_MAX): a longer one names no file
MAX_PATH_BYTES = 4096

_VERSION_RE = re.compile(r"^BagIt-Version: (\d+)\.(\d+)$")
_ENCODING_RE = re.compile(r"^Tag-File-Character-Encoding: (\S+)$")
_MANIFEST_RE = re.compile(r"^(tag)?manifest-([A-Za-z0-9-]+)\.txt$")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")


@dataclass(frozen=True)
class TagIssue:
    """One problem found while reading a tag file."""

    severity: Severity
    code: str
    message: str
    path: str
    line: int | None = None


@dataclass(frozen=True)
class BagDeclaration:
    """The content of bagit.txt."""

    version: tuple[int, int]
    encoding: str

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One manifest line: ``path`` is decoded and normalised (no ``./`` or ``*`` prefix).

    ``raw`` is the path as written, kept only where it differs from ``path``.
    """

    digest: str
    path: str
    line: int
    raw: str | None = None

    @property
    def raw_path(self) -> str:
        return self.path if self.raw is None else self.raw


def _numbered(text: Lines) -> Iterable[tuple[int, str]]:
    return enumerate(text.splitlines(), 1) if isinstance(text, str) else text


@dataclass(frozen=True)
class FetchEntry:
    """One fetch.txt line."""

    url: str
    length: int | None
    path: str
    line: int


def manifest_algorithm(name: str) -> tuple[bool, str] | None:
    """``(is_tag_manifest, algorithm)`` for a manifest file name, else None.

    >>> manifest_algorithm("tagmanifest-sha512.txt")
    (True, 'sha512')
    """
    match = _MANIFEST_RE.match(name)
    if not match:
        return None
    return match.group(1) is not None, match.group(2).lower()


def encode_path(path: str) -> str:
    """Percent-encode the three characters RFC 8493 requires in manifest paths."""
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def decode_path(path: str) -> str:
    """Undo :func:`encode_path` (case-insensitive); other ``%`` sequences stay literal."""
    return re.sub(
        r"%(0[AaDd]|25)",
        lambda m: {"0a": "\n", "0d": "\r", "25": "%"}[m.group(1).lower()],
        path,
    )


def unsafe_reason(path: str) -> str | None:
    """Why a bag-relative path may not be used (it would leave the bag), or None if safe.

    >>> unsafe_reason("data/../../etc/passwd")
    "contains a '..' component"
    """
    if not path:
        return "is empty"
    if "\x00" in path:
        return "contains a NUL character"
    if "\\" in path:
        return "contains a backslash (a Windows separator)"
    if path.startswith("/"):
        return "is an absolute path"
    if path.startswith("~"):
        return "starts with '~' (a home-directory shortcut)"
    if _DRIVE_RE.match(path):
        return "starts with a drive letter"
    parts = path.split("/")
    if ".." in parts:
        return "contains a '..' component"
    if any(p == "" for p in parts[:-1]) or parts[-1] == "":
        return "has an empty component"
    return None


def read_tag_text(data: bytes, encoding: str, path: str) -> tuple[str | None, list[TagIssue]]:
    """Decode a tag file; a BOM is tolerated (with a warning) where the encoding allows one."""
    issues: list[TagIssue] = []
    codec = codecs.lookup(encoding).name
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        issues.append(TagIssue("warning", "byte-order-mark", "starts with a UTF-8 BOM", path))
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        issues.append(
            TagIssue("error", "tag-file-encoding", f"is not valid {encoding} ({exc.reason})", path)
        )
        return None, issues
    return text.lstrip("\ufeff"), issues


def parse_bagit_txt(data: bytes) -> tuple[BagDeclaration | None, list[TagIssue]]:
    """Parse bagit.txt strictly: two lines, exact labels, UTF-8 without BOM."""
    path = "bagit.txt"
    issues: list[TagIssue] = []

    def error(code: str, message: str, line: int | None = None) -> None:
        issues.append(TagIssue("error", code, message, path, line))

    if data.startswith(codecs.BOM_UTF8):
        error("bagit-txt-bom", "starts with a byte-order mark (RFC 8493 forbids one)")
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        error("bagit-txt-encoding", "is not UTF-8")
        return None, issues
    lines = text.splitlines()
    if len(lines) != 2:
        error("bagit-txt-form", f"must have exactly 2 lines, has {len(lines)}")
    version: tuple[int, int] | None = None
    encoding: str | None = None
    if lines:
        m = _VERSION_RE.match(lines[0])
        if m:
            version = (int(m.group(1)), int(m.group(2)))
        else:
            error("bagit-txt-version", f"line 1 is not 'BagIt-Version: M.N': {shown(lines[0])}", 1)
    if len(lines) > 1:
        m = _ENCODING_RE.match(lines[1])
        if m:
            encoding = m.group(1)
            if not is_text_encoding(encoding):  # unknown, or a codec like "base64"
                error("bagit-txt-encoding", f"unknown tag file encoding {shown(encoding)}", 2)
                encoding = None
        else:
            error(
                "bagit-txt-encoding",
                f"line 2 is not 'Tag-File-Character-Encoding: ENCODING': {shown(lines[1])}",
                2,
            )
    else:
        error("bagit-txt-encoding", "has no Tag-File-Character-Encoding line")
    if version is None or encoding is None:
        return None, issues
    return BagDeclaration(version, encoding), issues


def parse_bag_info(
    text: Lines, path: str = "bag-info.txt"
) -> tuple[list[tuple[str, str]], list[TagIssue]]:
    """Parse ``Label: value`` lines (continuations start with whitespace); order is kept."""
    fields: list[tuple[str, str]] = []
    issues: list[TagIssue] = []
    for number, line in _numbered(text):
        if not line.strip():
            continue
        if line[0] in " \t":
            if not fields:
                issues.append(
                    TagIssue(
                        "error", "bag-info-form", "continuation before any label", path, number
                    )
                )
                continue
            label, value = fields[-1]
            fields[-1] = (label, f"{value} {line.strip()}")
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip():
            issues.append(
                TagIssue(
                    "error",
                    "bag-info-form",
                    f"line is not 'Label: value': {shown(line)}",
                    path,
                    number,
                )
            )
            continue
        fields.append((label.strip(), value.strip()))
    return fields, issues


def parse_manifest(text: Lines, path: str) -> tuple[list[ManifestEntry], list[TagIssue]]:
    """Parse manifest lines ``<digest> <path>``; warns about ``*`` and ``./`` prefixes.

    Digests are lower-cased; a path's raw spelling is kept only where it differs from the
    decoded one (a bag may list a hundred thousand files).
    """
    entries: list[ManifestEntry] = []
    issues: list[TagIssue] = []
    for number, line in _numbered(text):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not _HEX_RE.match(parts[0]):
            issues.append(
                TagIssue(
                    "error",
                    "manifest-form",
                    f"line is not '<digest> <path>': {shown(line)}",
                    path,
                    number,
                )
            )
            continue
        digest, raw = parts[0].lower(), parts[1].rstrip("\r\n")
        if len(raw.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
            issues.append(
                TagIssue(
                    "error",
                    "path-too-long",
                    f"path {shown(raw)} is longer than {MAX_PATH_BYTES} bytes; names no file",
                    path,
                    number,
                )
            )
            continue
        name = raw
        if name.startswith("*"):
            issues.append(
                TagIssue(
                    "warning",
                    "md5sum-prefix",
                    f"path {shown(raw)} has the '*' (binary mode) prefix of md5sum-style tools",
                    path,
                    number,
                )
            )
            name = name[1:]
        if name.startswith("./"):
            issues.append(
                TagIssue(
                    "warning",
                    "dot-slash-prefix",
                    f"path {shown(raw)} starts with './'",
                    path,
                    number,
                )
            )
            while name.startswith("./"):
                name = name[2:]
        decoded = decode_path(name)
        entries.append(ManifestEntry(digest, decoded, number, None if decoded == raw else raw))
    return entries, issues


def parse_fetch(text: Lines, path: str = "fetch.txt") -> tuple[list[FetchEntry], list[TagIssue]]:
    """Parse fetch.txt lines ``URL LENGTH FILEPATH`` (LENGTH may be ``-``)."""
    entries: list[FetchEntry] = []
    issues: list[TagIssue] = []
    for number, line in _numbered(text):
        if not line.strip():
            continue
        parts = line.split(maxsplit=2)
        if len(parts) != 3:
            issues.append(
                TagIssue(
                    "error",
                    "fetch-form",
                    f"line is not 'URL LENGTH PATH': {shown(line)}",
                    path,
                    number,
                )
            )
            continue
        url, length_text, raw = parts
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", url):
            issues.append(
                TagIssue("error", "fetch-url", f"{shown(url)} is not an absolute URL", path, number)
            )
        length: int | None = None
        if length_text != "-":
            if length_text.isdigit():
                length = int(length_text)
            else:
                issues.append(
                    TagIssue(
                        "error",
                        "fetch-form",
                        f"length {shown(length_text)} is not a number or '-'",
                        path,
                        number,
                    )
                )
        entries.append(FetchEntry(url, length, decode_path(raw.rstrip("\r\n")), number))
    return entries, issues


# -- writing ---------------------------------------------------------------------------------


def format_bag_info(fields: Iterable[tuple[str, str]]) -> str:
    """bag-info.txt text; long or multi-line values are folded onto indented lines."""
    lines: list[str] = []
    for label, value in fields:
        if not label or ":" in label or label != label.strip() or "\n" in label:
            raise ValueError(f"bag-info label {label!r} is not usable")
        parts = [p.strip() for p in value.splitlines()] or [""]
        lines.append(f"{label}: {parts[0]}")
        lines.extend(f"    {p}" for p in parts[1:])
    return "\n".join(lines) + "\n"


def format_manifest(digests: Mapping[str, str] | Sequence[tuple[str, str]]) -> str:
    """Manifest text from ``{path: hexdigest}``, sorted by path, paths encoded."""
    items = digests.items() if isinstance(digests, Mapping) else digests
    return "".join(f"{digest}  {encode_path(p)}\n" for p, digest in sorted(items))


def relative_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes."""
    return path.relative_to(root).as_posix()
