"""The example site's content: authors, terms, photos, static pages and articles.

Articles live in ``articles/<slug>.txt`` and static pages in ``pages/<slug>.txt``. Each file is a
block of ``key: value`` header lines, a ``---`` line, the body (paragraphs separated by blank
lines; ``## `` starts a heading, ``*...*`` is an italic note, ``[gallery]`` places the gallery) and,
for articles, an optional ``=== comments ===`` section of ``id | parent | name | datetime | text``
lines. Lines starting with ``#`` in the header are comments.

The seed article's body is the single line ``@seed``: its paragraphs are read from the seed file,
unchanged, so the page always carries exactly the text the project's tests compare against.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
SITE_ROOT = TOOLS.parent
REPO_ROOT = SITE_ROOT.parents[1]
DEFAULT_SEED = REPO_ROOT.parent / "shared" / "data" / "seed" / "karen-news-article.txt"

SITE_NAME = "Karen News"
TAGLINE = "News from Karen State and the border"
SEED_SLUG = "nug-and-resistance-forces-urge-junta-troops-to-defect-before-time-runs-out"
SEED_TITLE = "NUG and Resistance Forces Urge Junta Troops to Defect Before Time Runs Out"


@dataclass(frozen=True)
class Author:
    """A WordPress user who writes for the site."""

    slug: str
    name: str
    role: str
    bio: str
    user_id: int

    @property
    def path(self) -> str:
        return f"/author/{self.slug}/"

    @property
    def avatar(self) -> str:
        return f"/wp-content/uploads/2023/01/avatar-{self.slug}-96x96.jpg"

    @property
    def avatar_2x(self) -> str:
        return f"/wp-content/uploads/2023/01/avatar-{self.slug}-192x192.jpg"


@dataclass(frozen=True)
class Term:
    """A category or a tag."""

    taxonomy: str  # "category" or "tag"
    slug: str
    name: str
    term_id: int
    description: str = ""

    @property
    def path(self) -> str:
        return f"/{self.taxonomy}/{self.slug}/"


@dataclass(frozen=True)
class Photo:
    """An uploaded image: the full size plus WordPress's resized copies."""

    stem: str  # e.g. "2023/11/bamboo-classroom-hpapun", under /wp-content/uploads/
    scene: str  # palette for make_images.py: hills, gold, dusk, overcast
    alt: str
    caption: str
    wide: bool = True  # 16:9 featured image (1200 wide) or 3:2 inline image (1024 wide)
    webp: bool = False  # also has .jpg.webp copies (as WebP Express / EWWW write them)

    @property
    def full(self) -> tuple[int, int]:
        return (1200, 675) if self.wide else (1024, 683)

    @property
    def sizes(self) -> list[tuple[int, int]]:
        """Every width WordPress made, largest first (the full size included)."""
        if self.wide:
            return [(1200, 675), (1024, 576), (768, 432), (300, 169)]
        return [(1024, 683), (768, 512), (300, 200)]

    def url(self, size: tuple[int, int] | None = None, *, webp: bool = False) -> str:
        base = f"/wp-content/uploads/{self.stem}"
        name = base if size is None or size == self.full else f"{base}-{size[0]}x{size[1]}"
        return f"{name}.jpg.webp" if webp else f"{name}.jpg"

    def srcset(self, *, webp: bool = False) -> str:
        return ", ".join(f"{self.url(s, webp=webp)} {s[0]}w" for s in self.sizes)

    @property
    def thumbnail(self) -> str:
        return self.url((150, 150))

    def files(self) -> Iterator[tuple[str, tuple[int, int]]]:
        """(url path, size) of every file this photo needs on disk."""
        # WordPress also makes a 150x150 crop; the theme shows it for featured images only.
        for size in [*self.sizes, (150, 150)] if self.wide else self.sizes:
            yield self.url(size), size
        if self.webp:
            for size in self.sizes:
                yield self.url(size, webp=True), size


@dataclass(frozen=True)
class Comment:
    comment_id: int
    parent: int
    name: str
    date: dt.datetime
    text: str


@dataclass(frozen=True)
class Article:
    post_id: int
    slug: str
    title: str
    published: dt.datetime
    modified: dt.datetime
    authors: tuple[Author, ...]
    category: Term
    tags: tuple[Term, ...]
    rel_author: bool
    description: str
    featured: Photo
    inline_image: Photo | None
    inline_after: int
    gallery: tuple[Photo, ...]
    read_also: tuple[str, ...]
    read_also_after: int
    body: tuple[str, ...]
    comments: tuple[Comment, ...]

    @property
    def path(self) -> str:
        return f"/{self.published:%Y/%m}/{self.slug}/"

    @property
    def is_seed(self) -> bool:
        return self.slug == SEED_SLUG

    @property
    def paragraphs(self) -> list[str]:
        """The body's plain paragraphs (no headings, notes or markers)."""
        return [b for b in self.body if not b.startswith(("## ", "[", "*"))]

    @property
    def word_count(self) -> int:
        return sum(len(b.split()) for b in self.body if not b.startswith("["))


@dataclass(frozen=True)
class Page:
    """A static WordPress page (About, Contact, ...)."""

    page_id: int
    slug: str
    title: str
    description: str
    published: dt.datetime
    modified: dt.datetime
    body: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/{self.slug}/"


AUTHORS = {
    a.slug: a
    for a in [
        Author(
            "karen-news",
            "Karen News",
            "Newsroom",
            "Karen News is an independent news organisation covering Karen State, the Thai–Burma "
            "border and the people who live there. Stories under this byline are produced by the "
            "newsroom team.",
            2,
        ),
        Author(
            "naw-say-paw",
            "Naw Say Paw",
            "Staff reporter",
            "Naw Say Paw is a Karen News staff reporter covering health, education and "
            "displacement in northern Karen State.",
            7,
        ),
        Author(
            "saw-eh-doh",
            "Saw Eh Doh",
            "Staff reporter",
            "Saw Eh Doh is a Karen News staff reporter covering the border economy, local "
            "administration and human rights.",
            9,
        ),
        Author(
            "saw-ler-wah",
            "Saw Ler Wah",
            "Contributor",
            "Saw Ler Wah is a contributor to Karen News and a former community radio producer who "
            "writes about media in rural Karen State.",
            14,
        ),
        Author(
            "saw-kaw-htoo",
            "Saw Kaw Htoo",
            "Staff photographer",
            "Saw Kaw Htoo is a Karen News staff photographer documenting daily life in villages "
            "along the border.",
            11,
        ),
    ]
}

CATEGORIES = {
    t.slug: t
    for t in [
        Term("category", "news", "News", 3, "Daily news from Karen State and the border."),
        Term("category", "politics", "Politics", 4, "Local administration, parties and talks."),
        Term("category", "human-rights", "Human Rights", 5, "Rights, displacement and justice."),
        Term("category", "opinion", "Opinion", 6, "Columns and comment from our contributors."),
        Term("category", "multimedia", "Multimedia", 7, "Photo essays and video reports."),
    ]
}

_TAG_NAMES = {
    "agriculture": "Agriculture",
    "border-trade": "Border Trade",
    "children": "Children",
    "community": "Community",
    "community-radio": "Community Radio",
    "defection": "Defection",
    "displacement": "Displacement",
    "documentation": "Documentation",
    "economy": "Economy",
    "education": "Education",
    "food-security": "Food Security",
    "health": "Health",
    "hpapun": "Hpapun",
    "legal-identity": "Legal Identity",
    "local-administration": "Local Administration",
    "media": "Media",
    "military-council": "Military Council",
    "myawaddy": "Myawaddy",
    "nug": "NUG",
    "operation-1027": "Operation 1027",
    "photo-essay": "Photo Essay",
    "pnfc": "PNFC",
}
TAGS = {slug: Term("tag", slug, name, 200 + i) for i, (slug, name) in enumerate(_TAG_NAMES.items())}


class ContentError(Exception):
    """A content file is malformed, or the seed file is not what the site expects."""


def read_seed(path: Path) -> list[str]:
    """Return the seed article's paragraphs, checking its title and RSS footer lines."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if len(lines) < 3:
        raise ContentError(f"{path}: expected a title line, paragraphs and a footer line")
    if lines[0] != f"{SITE_NAME} {SEED_TITLE}":
        raise ContentError(f"{path}: first line is not '{SITE_NAME} {SEED_TITLE}'")
    if lines[-1] != f"The post {SEED_TITLE} appeared first on {SITE_NAME}.":
        raise ContentError(f"{path}: last line is not the WordPress RSS footer")
    return lines[1:-1]


def _split(path: Path) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Split a content file into header pairs, body blocks and comment lines."""
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n---\n")
    if not sep:
        raise ContentError(f"{path}: no '---' line between header and body")
    body, _, comments = rest.partition("=== comments ===\n")
    pairs = []
    for line in head.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise ContentError(f"{path}: header line without ':': {line!r}")
        pairs.append((key.strip(), value.strip()))
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body) if b.strip()]
    return pairs, blocks, [c for c in comments.splitlines() if c.strip()]


def _photo(value: str, *, wide: bool, webp: bool = False) -> Photo:
    stem, scene, alt, caption = (p.strip() for p in value.split("|"))
    return Photo(stem, scene, alt, caption, wide=wide, webp=webp)


def _when(value: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ContentError(f"date without a UTC offset: {value}")
    return when


def load_article(path: Path, seed: Path) -> Article:
    pairs, blocks, comment_lines = _split(path)
    head = dict(pairs)
    try:
        if blocks == ["@seed"]:
            blocks = read_seed(seed)
        comments = []
        for line in comment_lines:
            cid, parent, name, when, text = (p.strip() for p in line.split("|", 4))
            comments.append(Comment(int(cid), int(parent), name, _when(when), text))
        webp = head.get("webp") == "yes"
        inline = head.get("inline_image")
        return Article(
            post_id=int(head["post_id"]),
            slug=path.stem,
            title=head["title"],
            published=_when(head["published"]),
            modified=_when(head["modified"]),
            authors=tuple(AUTHORS[s.strip()] for s in head["authors"].split(",")),
            category=CATEGORIES[head["category"]],
            tags=tuple(TAGS[s.strip()] for s in head["tags"].split(",")),
            rel_author=head["rel_author"] == "yes",
            description=head["description"],
            featured=_photo(head["featured"], wide=True, webp=webp),
            inline_image=_photo(inline, wide=False) if inline else None,
            inline_after=int(head.get("inline_after", "0")),
            gallery=tuple(_photo(v, wide=False) for k, v in pairs if k == "gallery"),
            read_also=tuple(s.strip() for s in head["read_also"].split(",")),
            read_also_after=int(head["read_also_after"]),
            body=tuple(blocks),
            comments=tuple(comments),
        )
    except (KeyError, ValueError) as exc:
        raise ContentError(f"{path}: {exc!r}") from exc


def load_articles(seed: Path) -> list[Article]:
    """All articles, newest first."""
    articles = [load_article(p, seed) for p in sorted((TOOLS / "articles").glob("*.txt"))]
    slugs = {a.slug for a in articles}
    for a in articles:
        missing = [s for s in a.read_also if s not in slugs]
        if missing:
            raise ContentError(f"{a.slug}: read_also names unknown articles {missing}")
    if SEED_SLUG not in slugs:
        raise ContentError(f"no article file for the seed ({SEED_SLUG}.txt)")
    return sorted(articles, key=lambda a: a.published, reverse=True)


def load_pages() -> list[Page]:
    pages = []
    for path in sorted((TOOLS / "pages").glob("*.txt")):
        pairs, blocks, _ = _split(path)
        head = dict(pairs)
        pages.append(
            Page(
                page_id=int(head["page_id"]),
                slug=path.stem,
                title=head["title"],
                description=head["description"],
                published=_when(head["published"]),
                modified=_when(head["modified"]),
                body=tuple(blocks),
            )
        )
    return pages
