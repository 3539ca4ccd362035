"""Generate the example site's script-driven "live" pages, their JSON, images and web font.

Three article pages under ``/live/`` whose resources a static HTML parser mostly cannot see,
for testing capture with a headless browser (see the README's "Live pages" section):

- ``/live/2023/11/solar-power-keeps-night-clinics-open-in-northern-karen-state/``: lazy media.
  Images behind three lazy loaders (lazysizes ``data-src``, WP Rocket ``data-lazy-src`` /
  ``data-lazy-srcset``, jQuery Lazy Load ``data-original``) swapped in by an
  IntersectionObserver, a native ``loading="lazy"`` image far down the page, and, from script,
  reader comments fetched as JSON, a video ``<iframe>``, an appeal banner and a web-font style
  sheet.
- ``/live/2023/11/live-updates-karen-state-and-the-border-november-23/``: a live blog whose
  older updates load with XMLHttpRequest as the reader nears the bottom of the page.
- ``/live/2023/11/seed-savers-keep-heirloom-hill-rice-varieties-alive/``: an article rendered
  entirely by script from a JSON file; the page's HTML holds only the site chrome.

The content is in ``_tools/live/<slug>.txt`` (the format of ``_tools/articles/``, see content.py,
with a few extra markers described at the top of each file). The pages are not in the feeds,
sitemaps or any listing, and nothing on the rest of the site links to them.

Usage (from the repository root)::

    python3 examples/site/_tools/live_pages.py        # HTML and JSON (standard library only)

    # the images (Pillow) and the WOFF2 font (fontTools + brotli, from DejaVu Serif Bold)
    python3 -m venv /tmp/live && /tmp/live/bin/pip install pillow fonttools brotli
    /tmp/live/bin/python examples/site/_tools/live_pages.py --assets

The script-side files (``wp-content/themes/kn/js/{lazyload,article-extras,live-blog,
article-app,embed-player}.js`` and ``css/{live,live-fonts,embed-player}.css``) are hand-written,
like the rest of the theme. Output is deterministic: running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build_site import (
    IN_ARTICLE_AD,
    article_head,
    author_box,
    byline,
    comments_area,
    featured_figure,
    newsletter_box,
    post_classes,
    posted_on,
    read_also,
    reading_minutes,
    related,
    related_posts,
    share_buttons,
    website_meta,
)
from chrome import (
    SITE,
    THEME_VER,
    WP_VER,
    Chrome,
    absolute,
    breadcrumb_html,
    breadcrumb_node,
    comment_date,
    esc,
    excerpt,
    inline,
    long_date,
    organization_node,
    person_id,
    person_node,
    website_node,
)
from content import (
    AUTHORS,
    CATEGORIES,
    DEFAULT_SEED,
    SITE_NAME,
    SITE_ROOT,
    TAGLINE,
    TAGS,
    TOOLS,
    Article,
    ContentError,
    Photo,
    _split,
    load_article,
    load_articles,
    load_pages,
)

LIVE_DIR = TOOLS / "live"
REST = "/wp-json/kn/v1/"
THEME = "/wp-content/themes/kn"
UPLOADS = "/wp-content/uploads/"
LIVE_CSS = f"{THEME}/css/live.css"
# Only article-extras.js names these two, and only in pieces (see the README).
BANNER = "/wp-content/uploads/2023/11/kn-appeal-banner-728x90.jpg"
FONT = f"{THEME}/fonts/kn-headline-bold.woff2"
FONT_SOURCE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")  # fonts-dejavu-core
FONT_NAME = "KN Headline"

LAZY_SLUG = "solar-power-keeps-night-clinics-open-in-northern-karen-state"
LIVE_SLUG = "live-updates-karen-state-and-the-border-november-23"
APP_SLUG = "seed-savers-keep-heirloom-hill-rice-varieties-alive"
PER_PAGE = 4  # live-blog updates in the HTML and in each JSON page

VIDEOS = {
    "kn-solar-clinics-2311": (
        "Video: the solar clinics of northern Karen State",
        "/wp-content/uploads/2023/11/solar-clinic-video-poster.jpg",
    ),
}

GIF_1PX = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
MARKER = re.compile(
    r"^\[(lazysizes|wp-rocket|jquery-lazyload|native-lazy|inline) (\S+) \| (\w+) \| (.+?) \| "
    r"(.+)\]$"
)
VIDEO_MARKER = re.compile(r"^\[video (\S+)\]$")
UPDATE = re.compile(r"^@@ (\d+) \| (\S+) \| (.+?) \| (\S+) \| (\w+) \| (.+)$")


class LiveArticle(Article):
    """An article served under /live/ instead of /YYYY/MM/."""

    @property
    def path(self) -> str:
        return f"/live/{self.published:%Y/%m}/{self.slug}/"


def live(article: Article) -> LiveArticle:
    return LiveArticle(**{f.name: getattr(article, f.name) for f in dataclasses.fields(article)})


@dataclass(frozen=True)
class Image:
    """A new upload of the live pages: one JPEG, plus a half-width copy for WP Rocket's srcset."""

    stem: str
    scene: str
    alt: str
    caption: str
    size: tuple[int, int]

    @property
    def url(self) -> str:
        return f"{UPLOADS}{self.stem}.jpg"

    @property
    def half(self) -> tuple[str, tuple[int, int]]:
        w, h = self.size
        return f"{UPLOADS}{self.stem}-{w // 2}x{h // 2}.jpg", (w // 2, h // 2)


@dataclass(frozen=True)
class Update:
    """One entry of the live blog."""

    number: int
    when: dt.datetime
    title: str
    image: Image
    paragraphs: tuple[str, ...]


def clock(when: dt.datetime) -> str:
    hour = when.hour % 12 or 12
    return f"{hour}:{when:%M} {'am' if when.hour < 12 else 'pm'}"


def wp_json(data: Any) -> str:
    """JSON as wp_localize_script prints it: compact, with escaped slashes."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")


def settings_script(post_id: int) -> str:
    data = {
        "restBase": REST,
        "themeUrl": THEME,
        "uploadsUrl": UPLOADS,
        "ver": THEME_VER,
        "postId": str(post_id),
        "siteName": SITE_NAME,
    }
    return f'<script id="kn-live-js-extra">\nvar knLive = {wp_json(data)};\n</script>\n'


def script_tag(name: str) -> str:
    return f'<script src="{THEME}/js/{name}.js?ver={THEME_VER}" id="kn-{name}-js" defer></script>\n'


def with_live_css(head: str) -> str:
    link = (
        f'<link rel="stylesheet" id="kn-live-css" href="{LIVE_CSS}?ver={THEME_VER}" '
        'media="all" />\n'
    )
    return head.replace("</head>", link + "</head>")


# -- content files ---------------------------------------------------------------------------


def image_of(match: re.Match[str], size: tuple[int, int] = (640, 427)) -> Image:
    return Image(match.group(2), match.group(3), match.group(4), match.group(5), size)


def body_images(article: Article) -> list[tuple[str, Image]]:
    return [(m.group(1), image_of(m)) for b in article.body if (m := MARKER.match(b)) is not None]


def load_live_blog(path: Path) -> tuple[LiveArticle, str, list[Update]]:
    """The live blog's article record, its intro and its updates, newest first."""
    pairs, blocks, _ = _split(path)
    head = dict(pairs)
    updates: list[Update] = []
    for block in blocks:
        match = UPDATE.match(block)
        if match:
            number, when, title, stem, scene, alt = match.groups()
            image = Image(stem, scene, alt, "", (480, 270))
            updates.append(Update(int(number), dt.datetime.fromisoformat(when), title, image, ()))
        elif updates:
            last = updates[-1]
            updates[-1] = dataclasses.replace(last, paragraphs=(*last.paragraphs, block))
        else:
            raise ContentError(f"{path}: text before the first '@@' update line")
    if [u.number for u in updates] != list(range(len(updates), 0, -1)):
        raise ContentError(f"{path}: updates must be numbered down to 1, newest first")
    newest = updates[0].image
    article = LiveArticle(
        post_id=int(head["post_id"]),
        slug=path.stem,
        title=head["title"],
        published=dt.datetime.fromisoformat(head["published"]),
        modified=dt.datetime.fromisoformat(head["modified"]),
        authors=tuple(AUTHORS[s.strip()] for s in head["authors"].split(",")),
        category=CATEGORIES[head["category"]],
        tags=tuple(TAGS[s.strip()] for s in head["tags"].split(",")),
        rel_author=True,
        description=head["description"],
        featured=Photo(newest.stem, newest.scene, newest.alt, "", wide=True),
        inline_image=None,
        inline_after=0,
        gallery=(),
        read_also=(),
        read_also_after=0,
        body=tuple(p for u in updates for p in u.paragraphs),
        comments=(),
    )
    return article, head["intro"], updates


# -- page 1: lazy media ----------------------------------------------------------------------


def lazy_img(kind: str, image: Image, image_id: int) -> str:
    w, h = image.size
    alt = esc(image.alt)
    common = f'width="{w}" height="{h}" alt="{alt}" decoding="async"'
    if kind == "lazysizes":
        return (
            f'<img {common} src="{GIF_1PX}" data-src="{image.url}" '
            f'class="lazyload wp-image-{image_id}">'
        )
    if kind == "wp-rocket":
        half_url, (half_w, _) = image.half
        placeholder = (
            "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%20"
            f"viewBox='0%200%20{w}%20{h}'%3E%3C/svg%3E"
        )
        return (
            f'<img {common} src="{placeholder}" class="wp-image-{image_id}" '
            f'data-lazy-srcset="{image.url} {w}w, {half_url} {half_w}w" '
            f'data-lazy-sizes="(max-width: {w}px) 100vw, {w}px" data-lazy-src="{image.url}">'
        )
    if kind == "jquery-lazyload":
        return (
            f'<img {common} class="lazy wp-image-{image_id}" src="{GIF_1PX}" '
            f'data-original="{image.url}">'
        )
    if kind == "native-lazy":
        return f'<img {common} loading="lazy" src="{image.url}" class="wp-image-{image_id}">'
    raise ValueError(kind)


def lazy_content(article: Article, by_slug: dict[str, Article]) -> str:
    out = []
    paragraph = 0
    images = 0
    for block in article.body:
        marker = MARKER.match(block)
        video = VIDEO_MARKER.match(block)
        if marker:
            images += 1
            image = image_of(marker)
            img = lazy_img(marker.group(1), image, article.post_id + images)
            out.append(
                f'<figure class="wp-block-image size-large kn-lazy-{marker.group(1)}">{img}'
                f'<figcaption class="wp-element-caption">{esc(image.caption)}</figcaption>'
                "</figure>"
            )
        elif video:
            title, _poster = VIDEOS[video.group(1)]
            out.append(
                f'<figure class="kn-video-embed" data-kn-video="{video.group(1)}" '
                f'data-title="{esc(title)}"><figcaption>{esc(title)}</figcaption></figure>'
            )
        elif block.startswith("## "):
            out.append(f'<h2 class="wp-block-heading">{esc(block[3:])}</h2>')
        else:
            out.append(f"<p>{inline(block)}</p>")
            paragraph += 1
            if paragraph == 2:
                out.append(IN_ARTICLE_AD)
            if paragraph == article.read_also_after:
                out.append(read_also(article, by_slug))
    return "\n".join(out)


def lazy_comments(article: Article) -> str:
    """The comment area with an empty list that article-extras.js fills from the REST API."""
    area = comments_area(dataclasses.replace(article, comments=()))
    listing = (
        f'<h2 class="comments-title" id="kn-comments-title" data-post-title="{esc(article.title)}" '
        "hidden></h2>\n"
        '<p id="kn-comments-status" class="kn-comments-status">Loading comments&hellip;</p>\n'
        f'<ol class="comment-list" id="kn-comment-list" data-post-id="{article.post_id}" '
        'aria-busy="true"></ol>\n'
    )
    return area.replace('<div id="respond"', listing + '<div id="respond"', 1)


def lazy_page(chrome: Chrome, article: LiveArticle, by_slug: dict[str, Article]) -> str:
    count = len(article.comments)
    tags = ", ".join(f'<a href="{t.path}" rel="tag">{esc(t.name)}</a>' for t in article.tags)
    cat = f'<a href="{article.category.path}" rel="category tag">{esc(article.category.name)}</a>'
    crumbs = [("Home", "/"), (article.category.name, article.category.path), (article.title, None)]
    main = f"""<div id="kn-appeal-slot" class="kn-appeal-slot" hidden></div>
{breadcrumb_html(crumbs)}
<article id="post-{article.post_id}" class="{post_classes(article)}">
<header class="entry-header">
<div class="entry-categories"><span class="cat-links">{cat}</span></div>
<h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta">
{byline(article)}
{posted_on(article)}
<span class="comments-link"><a href="#comments">{count} Comments</a></span>
<span class="reading-time">{reading_minutes(article)} min read</span>
</div>
</header>
{featured_figure(article)}
<div class="entry-content">
{lazy_content(article, by_slug)}
{share_buttons(article)}
{related_posts(article, chrome.articles)}
</div>
{newsletter_box(chrome)}
<footer class="entry-footer"><span class="cat-links">Posted in {cat}</span> \
<span class="tags-links">Tagged {tags}</span></footer>
</article>
{"".join(author_box(a, rel_author=article.rel_author) for a in article.authors)}
{lazy_comments(article)}"""
    scripts = (
        settings_script(article.post_id)
        + script_tag("lazyload")
        + script_tag("article-extras")
        + f'<script src="/wp-includes/js/comment-reply.min.js?ver={WP_VER}" '
        'id="comment-reply-js" async data-wp-strategy="async"></script>\n'
    )
    return chrome.document(
        head=with_live_css(article_head(chrome, article)),
        body_class=(
            f"post-template-default single single-post postid-{article.post_id} "
            "single-format-standard kn-live-page"
        ),
        main=main,
        current=article.category.path,
        scripts=scripts,
    )


def comments_json(article: Article) -> list[dict[str, Any]]:
    return [
        {
            "id": c.comment_id,
            "post": article.post_id,
            "parent": c.parent,
            "author_name": c.name,
            "date": c.date.isoformat(),
            "date_display": comment_date(c.date),
            "link": f"{article.path}#comment-{c.comment_id}",
            "content": {"rendered": f"<p>{esc(c.text)}</p>"},
            "author_avatar_urls": {
                "56": f"{THEME}/images/avatar-default.png",
                "112": f"{THEME}/images/avatar-default-2x.png",
            },
        }
        for c in article.comments
    ]


def embed_page(video_id: str) -> str:
    title, poster = VIDEOS[video_id]
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, follow">
<title>{esc(title)} - {SITE_NAME} Video</title>
<link rel="stylesheet" id="kn-embed-player-css" \
href="{THEME}/css/embed-player.css?ver={THEME_VER}" media="all">
<script src="{THEME}/js/embed-player.js?ver={THEME_VER}" id="kn-embed-player-js" defer></script>
</head>
<body class="kn-embed">
<div class="kn-player" data-video-id="{video_id}">
<img class="kn-player-poster" src="{poster}" width="640" height="360" alt="{esc(title)}">
<p class="kn-player-title">{esc(title)}</p>
<button type="button" class="kn-player-play" aria-label="Play video">&#9654;</button>
<p class="kn-player-notice" hidden>Playback is not available in this copy of the site.</p>
<span class="kn-player-brand">{SITE_NAME}</span>
</div>
</body>
</html>
"""


# -- page 2: live blog -----------------------------------------------------------------------


def update_html(update: Update, *, lazy: bool) -> str:
    w, h = update.image.size
    loading = ' loading="lazy"' if lazy else ""
    paragraphs = "".join(f"<p>{inline(p)}</p>" for p in update.paragraphs)
    return f"""<article id="update-{update.number}" class="kn-live-item" \
data-update="{update.number}">
<header class="kn-live-item-header"><time class="kn-live-time" \
datetime="{update.when.isoformat()}">{clock(update.when)}</time>\
<h2 class="kn-live-item-title">{esc(update.title)}</h2></header>
<figure class="kn-live-item-image"><img width="{w}" height="{h}" src="{update.image.url}" \
alt="{esc(update.image.alt)}" decoding="async"{loading}></figure>
<div class="kn-live-item-content">{paragraphs}</div>
</article>"""


def update_json(update: Update) -> dict[str, Any]:
    w, h = update.image.size
    return {
        "id": update.number,
        "date": update.when.isoformat(),
        "time_display": clock(update.when),
        "title": update.title,
        "image": {"src": update.image.url, "width": w, "height": h, "alt": update.image.alt},
        "content": {"rendered": "".join(f"<p>{inline(p)}</p>" for p in update.paragraphs)},
    }


def live_pages_json(article: LiveArticle, updates: list[Update]) -> dict[str, dict[str, Any]]:
    """page-N.json for every page of updates after the first (which is in the HTML)."""
    pages = [updates[i : i + PER_PAGE] for i in range(0, len(updates), PER_PAGE)]
    out = {}
    for number, chunk in enumerate(pages[1:], start=2):
        more = number < len(pages)
        out[f"{REST}live/{article.slug}/page-{number}.json"] = {
            "post": article.post_id,
            "page": number,
            "total_pages": len(pages),
            "has_more": more,
            "next_page": number + 1 if more else None,
            "items": [update_json(u) for u in chunk],
        }
    return out


def live_graph(article: LiveArticle, updates: list[Update]) -> list[dict[str, Any]]:
    url = absolute(article.path)
    author = article.authors[0]
    crumbs = [("Home", "/"), (article.category.name, article.category.path), (article.title, None)]
    return [
        {
            "@type": "LiveBlogPosting",
            "@id": f"{url}#liveblog",
            "isPartOf": {"@id": url},
            "headline": article.title,
            "description": article.description,
            "author": {"@type": "Person", "name": author.name, "@id": person_id(author)},
            "publisher": {"@id": f"{SITE}/#organization"},
            "datePublished": article.published.isoformat(),
            "dateModified": article.modified.isoformat(),
            "coverageStartTime": article.published.isoformat(),
            "coverageEndTime": article.modified.isoformat(),
            "mainEntityOfPage": {"@id": url},
            "image": absolute(updates[0].image.url),
            "articleSection": [article.category.name],
            "keywords": [t.name for t in article.tags],
            "inLanguage": "en-US",
            "liveBlogUpdate": [
                {
                    "@type": "BlogPosting",
                    "headline": u.title,
                    "datePublished": u.when.isoformat(),
                    "url": f"{url}#update-{u.number}",
                    "image": absolute(u.image.url),
                    "articleBody": " ".join(
                        re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", p) for p in u.paragraphs
                    ),
                }
                for u in updates[:PER_PAGE]
            ],
        },
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{article.title} - {SITE_NAME}",
            "isPartOf": {"@id": f"{SITE}/#website"},
            "datePublished": article.published.isoformat(),
            "dateModified": article.modified.isoformat(),
            "description": article.description,
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-US",
        },
        breadcrumb_node(url, crumbs),
        website_node(),
        organization_node(),
        person_node(author),
    ]


def live_blog_page(chrome: Chrome, article: LiveArticle, intro: str, updates: list[Update]) -> str:
    url = absolute(article.path)
    title = f"{article.title} - {SITE_NAME}"
    image = updates[0].image
    meta = [
        ("property", "og:locale", "en_US"),
        ("property", "og:type", "article"),
        ("property", "og:title", title),
        ("property", "og:description", article.description),
        ("property", "og:url", url),
        ("property", "og:site_name", SITE_NAME),
        ("property", "article:publisher", "https://www.facebook.com/karennews"),
        *(("property", "article:author", absolute(a.path)) for a in article.authors),
        ("property", "article:published_time", article.published.isoformat()),
        ("property", "article:modified_time", article.modified.isoformat()),
        ("property", "article:section", article.category.name),
        *(("property", "article:tag", t.name) for t in article.tags),
        ("property", "og:image", absolute(image.url)),
        ("property", "og:image:width", str(image.size[0])),
        ("property", "og:image:height", str(image.size[1])),
        ("property", "og:image:type", "image/jpeg"),
        ("name", "author", ", ".join(a.name for a in article.authors)),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:site", "@karennews"),
    ]
    head = chrome.head(
        title=title,
        description=article.description,
        canonical=url,
        meta=meta,
        graph=live_graph(article, updates),
    )
    cat = f'<a href="{article.category.path}" rel="category tag">{esc(article.category.name)}</a>'
    crumbs = [("Home", "/"), (article.category.name, article.category.path), (article.title, None)]
    items = "\n".join(update_html(u, lazy=i > 0) for i, u in enumerate(updates[:PER_PAGE]))
    main = f"""{breadcrumb_html(crumbs)}
<article id="post-{article.post_id}" class="{post_classes(article)} kn-liveblog">
<header class="entry-header">
<div class="entry-categories"><span class="cat-links">{cat}</span></div>
<span class="kn-live-badge">Live</span>
<h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta">
{byline(article)}
{posted_on(article)}
<span class="kn-live-count">{len(updates)} updates</span>
</div>
</header>
<div class="entry-content">
<p class="kn-live-intro">{esc(intro)}</p>
</div>
<div id="kn-live-updates" class="kn-live-updates" data-live-slug="{article.slug}" \
data-next-page="2" aria-live="polite" aria-busy="false">
{items}
</div>
<div class="kn-live-more-wrap"><button type="button" id="kn-live-more" class="kn-live-more" \
hidden>Load older updates</button>
<p id="kn-live-status" class="kn-live-status" role="status"></p></div>
{share_buttons(article)}
</article>"""
    return chrome.document(
        head=with_live_css(head),
        body_class=(
            f"post-template-default single single-post postid-{article.post_id} "
            "single-format-standard kn-live-page kn-live-blog"
        ),
        main=main,
        current=article.category.path,
        scripts=settings_script(article.post_id) + script_tag("live-blog"),
    )


# -- page 3: the script-rendered article -----------------------------------------------------


def app_post_json(article: LiveArticle, articles: list[Article]) -> dict[str, Any]:
    blocks = []
    words = 0
    for block in article.body:
        marker = MARKER.match(block)
        if marker:
            image = image_of(marker)
            w, h = image.size
            blocks.append(
                f'<figure class="wp-block-image size-large"><img decoding="async" width="{w}" '
                f'height="{h}" src="{GIF_1PX}" data-src="{image.url}" alt="{esc(image.alt)}" '
                f'class="lazyload wp-image-{article.post_id + 4}">'
                '<figcaption class="wp-element-caption">'
                f"{esc(image.caption)}</figcaption></figure>"
            )
        else:
            blocks.append(f"<p>{inline(block)}</p>")
            words += len(block.split())
    photo = article.featured
    return {
        "id": article.post_id,
        "slug": article.slug,
        "link": article.path,
        "status": "publish",
        "type": "post",
        "date": article.published.isoformat(),
        "modified": article.modified.isoformat(),
        "date_display": long_date(article.published),
        "modified_display": long_date(article.modified),
        "title": {"rendered": article.title},
        "excerpt": {"rendered": article.description},
        "content": {"rendered": "\n".join(blocks)},
        "word_count": words,
        "reading_time": max(1, round(words / 200)),
        "authors": [
            {
                "name": a.name,
                "link": a.path,
                "avatar": a.avatar,
                "avatar_2x": a.avatar_2x,
                "bio": a.bio,
            }
            for a in article.authors
        ],
        "categories": [{"name": article.category.name, "link": article.category.path}],
        "tags": [{"name": t.name, "link": t.path} for t in article.tags],
        "featured_media": {
            "src": f"{UPLOADS}{photo.stem}.jpg",
            "width": 800,
            "height": 450,
            "alt": photo.alt,
            "caption": photo.caption,
        },
        # Jetpack's related posts, which the app shows below the content with lazy thumbnails
        "jetpack-related-posts": [
            {
                "id": other.post_id,
                "title": other.title,
                "link": other.path,
                "date_display": long_date(other.published),
                "excerpt": excerpt(other, 20).replace("&hellip;", "\u2026"),
                "context": f"In \u201c{other.category.name}\u201d",
                "img": {"src": other.featured.url((300, 169)), "width": 300, "height": 169},
            }
            for other in related(article, articles)
        ],
    }


def app_page(chrome: Chrome, article: LiveArticle) -> str:
    url = absolute(article.path)
    title = f"{SITE_NAME} - {TAGLINE}"
    description = f"{SITE_NAME}: {TAGLINE}."
    graph: list[dict[str, Any]] = [
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "isPartOf": {"@id": f"{SITE}/#website"},
            "inLanguage": "en-US",
        },
        website_node(),
        organization_node(),
    ]
    head = chrome.head(
        title=title,
        description=description,
        canonical=url,
        meta=website_meta(title, description, url),
        graph=graph,
    )
    main = f"""<div id="kn-app-article" class="kn-app-article" data-post-id="{article.post_id}" \
aria-busy="true"></div>
<noscript><p class="kn-noscript">This article needs JavaScript to be displayed.</p></noscript>"""
    return chrome.document(
        head=with_live_css(head),
        body_class=(
            f"post-template-default single single-post postid-{article.post_id} "
            "single-format-standard kn-live-page kn-app"
        ),
        main=main,
        current=article.category.path,
        scripts=(
            settings_script(article.post_id) + script_tag("lazyload") + script_tag("article-app")
        ),
    )


# -- writing ---------------------------------------------------------------------------------


def write(url_path: str, text: str) -> None:
    relative = url_path.strip("/") + ("/index.html" if url_path.endswith("/") else "")
    path = SITE_ROOT / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_json(url_path: str, data: Any) -> None:
    write(url_path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


@dataclass
class Plan:
    """Everything the live pages consist of."""

    lazy: LiveArticle
    blog: LiveArticle
    intro: str
    updates: list[Update]
    app: LiveArticle

    def images(self) -> list[tuple[str, Image]]:
        """(kind, image) of every new JPEG."""
        out = body_images(self.lazy)
        out += [("live-blog", u.image) for u in self.updates]
        out += body_images(self.app)
        photo = self.app.featured
        out.append(("featured", Image(photo.stem, photo.scene, photo.alt, "", (800, 450))))
        return out


def plan() -> Plan:
    lazy = live(load_article(LIVE_DIR / f"{LAZY_SLUG}.txt", DEFAULT_SEED))
    blog, intro, updates = load_live_blog(LIVE_DIR / f"{LIVE_SLUG}.txt")
    app = live(load_article(LIVE_DIR / f"{APP_SLUG}.txt", DEFAULT_SEED))
    return Plan(lazy, blog, intro, updates, app)


def build(p: Plan) -> int:
    articles = load_articles(DEFAULT_SEED)
    chrome = Chrome(articles, load_pages())
    by_slug = {a.slug: a for a in articles}
    for a in (p.lazy, p.app):
        missing = [s for s in a.read_also if s not in by_slug]
        if missing:
            raise ContentError(f"{a.slug}: read_also names unknown articles {missing}")
    write(p.lazy.path, lazy_page(chrome, p.lazy, by_slug))
    write_json(f"{REST}comments/{p.lazy.post_id}.json", comments_json(p.lazy))
    for video_id in VIDEOS:
        write(f"/embed/video/{video_id}/", embed_page(video_id))
    write(p.blog.path, live_blog_page(chrome, p.blog, p.intro, p.updates))
    for url_path, data in live_pages_json(p.blog, p.updates).items():
        write_json(url_path, data)
    write(p.app.path, app_page(chrome, p.app))
    write_json(f"{REST}posts/{p.app.post_id}.json", app_post_json(p.app, articles))
    return 3 + len(VIDEOS) + 2 + len(live_pages_json(p.blog, p.updates))


# -- assets: images and the web font (Pillow, fontTools, brotli) -----------------------------


def make_assets(p: Plan) -> int:
    import io

    from make_images import font, landscape, seed_of
    from PIL import Image as PILImage
    from PIL import ImageDraw

    total = 0

    def save(img: PILImage.Image, url_path: str) -> None:
        nonlocal total
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=72, optimize=True, progressive=True)
        path = SITE_ROOT / url_path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buf.getvalue())
        total += len(buf.getvalue())

    for kind, image in p.images():
        full = landscape(image.size, image.scene, seed_of(image.stem))
        save(full, image.url)
        if kind == "wp-rocket":
            half_url, half_size = image.half
            save(full.resize(half_size, PILImage.Resampling.LANCZOS), half_url)

    banner = landscape((728, 90), "dusk", seed_of("kn-appeal-banner"))
    draw = ImageDraw.Draw(banner)
    draw.rectangle([0, 0, 470, 90], fill=(31, 77, 54))
    draw.text((20, 24), "Support independent journalism", font=font(24), fill="white")
    draw.text((20, 56), "from Karen State and the border", font=font(16), fill=(220, 226, 214))
    draw.rounded_rectangle([560, 28, 700, 62], radius=5, fill=(179, 38, 30))
    draw.text((630, 45), "Donate today", font=font(16), fill="white", anchor="mm")
    save(banner, BANNER)

    for video_id, (_title, poster) in VIDEOS.items():
        img = landscape((640, 360), "gold", seed_of(video_id))
        draw = ImageDraw.Draw(img)
        draw.rectangle([0, 318, 640, 360], fill=(29, 42, 34))
        draw.text((16, 339), "KAREN NEWS VIDEO", font=font(18), fill="white", anchor="lm")
        save(img, poster)

    total += make_font()
    return total


def make_font() -> int:
    """KN Headline: DejaVu Serif Bold cut down to Basic Latin and typographic punctuation."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    if not FONT_SOURCE.is_file():
        raise SystemExit(f"{FONT_SOURCE} not found (Debian: apt-get install fonts-dejavu-core)")
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = [0x409]
    options.layout_features = ["kern", "liga"]
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: nothing a browser reads
    font = TTFont(FONT_SOURCE, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    unicodes = [*range(0x20, 0x7F), 0xA0, 0xAB, 0xBB, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C,
                0x201D, 0x2026]  # fmt: skip
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    # The Bitstream Vera licence asks modified copies not to use the "Bitstream"/"Vera" names;
    # a new family name also keeps the subset from being mistaken for the full DejaVu font.
    names = {
        1: FONT_NAME,
        3: f"{FONT_NAME} Bold; subset of DejaVu Serif Bold",
        4: f"{FONT_NAME} Bold",
        6: "KNHeadline-Bold",
        16: FONT_NAME,
        17: "Bold",
    }
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.removeNames(nameID=record.nameID)
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
    font.flavor = "woff2"
    path = SITE_ROOT / FONT.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    font.save(path, reorderTables=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--assets", action="store_true", help="also draw the JPEGs and build the WOFF2 font"
    )
    args = parser.parse_args(argv)
    p = plan()
    count = build(p)
    print(f"wrote {count} HTML and JSON files under {SITE_ROOT}")
    if args.assets:
        print(f"wrote images and font: {make_assets(p) / 1e3:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
