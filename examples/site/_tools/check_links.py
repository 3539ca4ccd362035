"""Check the example site: every internal link resolves to a file, and the markup is sound.

Usage (standard library only)::

    python3 examples/site/_tools/check_links.py [SITE_DIR]

It resolves URLs the way the test server maps them: ``{{SITE}}`` is the site root, ``/a/b/`` is
``a/b/index.html`` or ``a/b/index.xml``, any other path is the file itself, and the query string and
fragment are ignored. It reads links from HTML attributes (href, src, srcset, imagesrcset, poster,
SVG ``<use>``, URL-valued ``<meta content>``), inline and attribute styles, JSON-LD, CSS ``url()``
and ``@import``, and every ``{{SITE}}`` URL in XML, JS and text files. Form actions are submit
targets, not links, and are not checked.

It also reports HTML whose tags do not balance, block elements inside ``<p>``, duplicate ids,
invalid JSON-LD, XML that is not well-formed, root-relative URLs inside feeds, relative links in
404.html (it may be served at any depth) and ``{{SITE}}`` in files the server does not rewrite.
Files nothing links to are listed as warnings. Exit status: 0 clean, 1 problems found.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

TOKEN = "{{SITE}}"
REWRITTEN = {".html", ".xml", ".css", ".js", ".txt"}  # files the server substitutes TOKEN in
SKIP_TOP = {"_tools", "README.md"}
NOT_ORPHANS = {"robots.txt", "404.html", "sitemap_index.xml", "favicon.ico", "index.html"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
NOT_IN_P = {
    "address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
    "pre", "section", "table", "ul",
}  # fmt: skip
URL_ATTRS = {"href", "src", "poster", "data", "xlink:href"}
SRCSET_ATTRS = {"srcset", "imagesrcset"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
SITE_URL = re.compile(re.escape(TOKEN) + r"""[^\s"'<>\])]*""")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file of the site."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    links: int = 0


def url_path_of(relative: PurePosixPath) -> str:
    """The URL path a site file is served at."""
    if relative.name in ("index.html", "index.xml"):
        parent = str(relative.parent)
        return "/" if parent == "." else f"/{parent}/"
    return f"/{relative}"


def srcset_urls(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.strip()]


class PageParser(HTMLParser):
    """Collects URL references and markup problems from one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.in_style = False
        self.in_jsonld = False
        self.buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in NOT_IN_P and "p" in self.stack:
            self.problems.append(f"<{tag}> inside <p> (line {self.getpos()[0]})")
        if "id" in values:
            if values["id"] in self.ids:
                self.problems.append(f"duplicate id {values['id']!r}")
            self.ids.add(values["id"])
        for name, value in values.items():
            if name in URL_ATTRS and not (tag == "link" and values.get("rel") == "profile"):
                self.urls.append(value)
            elif name in SRCSET_ATTRS:
                self.urls.extend(srcset_urls(value))
            elif name == "style":
                self.urls.extend(m.group(2) or m.group(4) for m in CSS_URL.finditer(value))
        if tag == "meta" and values.get("content", "").startswith(TOKEN):
            self.urls.append(values["content"])
        if tag == "style":
            self.in_style = True
        if tag == "script" and values.get("type") == "application/ld+json":
            self.in_jsonld = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()  # <use ... /> and other self-closed foreign elements

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(
                f"</{tag}> does not close <{self.stack[-1] if self.stack else 'nothing'}> "
                f"(line {self.getpos()[0]})"
            )
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "style":
            self.urls.extend(
                m.group(2) or m.group(4) for m in CSS_URL.finditer("".join(self.buffer))
            )
            self.in_style = False
        if tag == "script" and self.in_jsonld:
            self.check_jsonld("".join(self.buffer))
            self.in_jsonld = False
        self.buffer = []

    def handle_data(self, data: str) -> None:
        if self.in_style or self.in_jsonld:
            self.buffer.append(data)

    def check_jsonld(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError as exc:
            self.problems.append(f"JSON-LD does not parse: {exc}")
            return
        self.urls.extend(SITE_URL.findall(json.dumps(data, ensure_ascii=False)))

    def close(self) -> None:
        super().close()
        if self.stack:
            self.problems.append(f"unclosed elements at end: {self.stack}")


def resolve(root: Path, base: str, ref: str) -> tuple[str, Path | None] | None:
    """Map a reference to (URL path, file or None if missing); None for external references."""
    ref = ref.strip()
    if not ref or ref.startswith(("#", "mailto:", "tel:", "javascript:", "data:", "//")):
        return None
    if ref.startswith(TOKEN):
        ref = ref[len(TOKEN) :] or "/"
        if not ref.startswith(("/", "?", "#")):
            return ref, None  # {{SITE}}foo: not a URL on the site
    elif urlsplit(ref).scheme:
        return None
    path = unquote(urlsplit(urljoin(base, ref)).path) or "/"
    target = root / path.lstrip("/")
    if path.endswith("/"):
        for index in ("index.html", "index.xml"):
            if (target / index).is_file():
                return path, target / index
        return path, None
    return path, target if target.is_file() else None


def check_site(root: Path) -> Report:
    """Check every file of the site under ``root``."""
    report = Report()
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] not in SKIP_TOP
    )
    reached: set[Path] = set()

    def problem(rel: PurePosixPath, message: str) -> None:
        report.problems.append(Problem(str(rel), message))

    for path in files:
        rel = PurePosixPath(path.relative_to(root).as_posix())
        suffix = path.suffix.lower()
        data = path.read_bytes()
        if suffix not in REWRITTEN:
            if TOKEN.encode() in data:
                problem(rel, f"{TOKEN} in a {suffix} file, which the server does not rewrite")
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem(rel, f"not UTF-8: {exc}")
            continue
        for match in re.finditer(re.escape(TOKEN) + r"(.?)", text):
            if match.group(1) not in ("/", '"', "'", "<", ")", "", "\n", " "):
                problem(rel, f"{TOKEN} followed by {match.group(1)!r}")
        base = url_path_of(rel)
        refs: list[str]
        if suffix == ".html":
            parser = PageParser()
            parser.feed(text)
            parser.close()
            for message in parser.problems:
                problem(rel, message)
            refs = parser.urls
            if rel.name == "404.html":
                for ref in refs:
                    if not ref.startswith(("/", TOKEN, "#", "http:", "https:", "mailto:")):
                        problem(rel, f"relative link {ref!r} (404.html may be served anywhere)")
        elif suffix == ".css":
            refs = [m.group(2) or m.group(4) for m in CSS_URL.finditer(text)]
        else:
            refs = SITE_URL.findall(text)
            if suffix == ".xml":
                try:
                    ET.fromstring(text.replace(TOKEN, "http://site.test").encode())
                except ET.ParseError as exc:
                    problem(rel, f"XML is not well-formed: {exc}")
                refs += re.findall(r'<\?xml-stylesheet[^>]*href="([^"]+)"', text)
                for bad in re.findall(r'(?:href|src)="(/[^"]*)"', text):
                    problem(rel, f"root-relative URL {bad!r} inside a feed or sitemap")
        for ref in refs:
            result = resolve(root, base, ref)
            if result is None:
                continue
            report.links += 1
            url_path, target = result
            if target is None:
                problem(rel, f"broken link {ref!r} -> {url_path}")
            elif target != path:
                reached.add(target)
    report.orphans = [
        str(p.relative_to(root)) for p in files if p not in reached and p.name not in NOT_ORPHANS
    ]
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parents[1]
    report = check_site(root)
    for orphan in report.orphans:
        print(f"warning: nothing links to {orphan}")
    for item in report.problems:
        print(item)
    print(f"checked {report.links} internal links: {len(report.problems)} problem(s)")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
