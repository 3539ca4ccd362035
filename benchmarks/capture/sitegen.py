"""Generate the benchmark's news site: article pages with their requisites, deterministically.

Each article page (about 30 KB of HTML: navigation, a few hundred words of text, related
links) needs a hero image (40-90 KB) and an inline image (15-40 KB) of its own, the shared
logo, a stylesheet whose ``url()`` references name a background image, an icon sprite and a
web font, and a script.  Images are random bytes behind a JPEG/PNG signature, so neither tool
can compress or de-duplicate them: they cost what real photographs cost.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "with",
    "as",
    "was",
    "by",
    "at",
    "from",
    "it",
    "an",
    "be",
    "this",
    "are",
    "have",
    "has",
    "government",
    "election",
    "reporters",
    "village",
    "conflict",
    "council",
    "river",
    "border",
    "people",
    "said",
    "week",
    "officials",
    "according",
    "report",
    "local",
    "media",
    "community",
    "families",
    "school",
    "health",
    "market",
    "army",
    "ceasefire",
    "refugees",
    "camp",
    "township",
    "minister",
    "committee",
    "statement",
    "interview",
    "history",
    "record",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _jpeg(rng: random.Random, size: int) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size - 13)


def _png(rng: random.Random, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + rng.randbytes(size - 8)


def _article(rng: random.Random, i: int, pages: int) -> str:
    title = _text(rng, 8).capitalize()
    nav = "".join(
        f'<li><a href="/section/{s}/">{s.title()}</a></li>'
        for s in ("news", "politics", "economy", "opinion", "culture", "sport", "world")
    )
    paras = []
    for p in range(rng.randint(18, 26)):
        paras.append(f"<p>{_text(rng, rng.randint(40, 90))}.</p>")
        if p == 6:
            paras.append(
                f'<figure><img src="/img/{i:04d}-inline.jpg" width="640" height="360" '
                f'alt="{_text(rng, 5)}"><figcaption>{_text(rng, 12)}</figcaption></figure>'
            )
    related = "".join(
        f'<li><a href="/news/article-{rng.randrange(pages):04d}.html">{_text(rng, 7)}</a></li>'
        for _ in range(12)
    )
    # Markup weight that real pages carry (menus, footers, data attributes).
    footer = "".join(
        f'<div class="promo" data-slot="{k}" data-track="{rng.getrandbits(64):016x}">'
        f'<a href="/promo/{k}">{_text(rng, 6)}</a></div>'
        for k in range(150)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{_text(rng, 20)}">
<link rel="stylesheet" href="/static/site.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header><a href="/"><img src="/static/logo.png" alt="The Daily Bench" width="200" height="50"></a>
<nav><ul>{nav}</ul></nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">By {_text(rng, 2).title()} &middot; <time datetime="2026-11-{1 + i % 28:02d}">
November {1 + i % 28}, 2026</time></p>
<figure class="hero"><img src="/img/{i:04d}-hero.jpg" width="1200" height="675"
alt="{_text(rng, 6)}"><figcaption>{_text(rng, 14)}</figcaption></figure>
{"".join(paras)}
</article>
<aside><h2>Related</h2><ul>{related}</ul></aside></main>
<footer>{footer}<p>&copy; 2026 The Daily Bench</p></footer>
</body>
</html>
"""


def _css(rng: random.Random) -> str:
    rules = [
        "@font-face{font-family:Body;src:url(/static/body.woff2) format('woff2')}",
        "body{font-family:Body,serif;background:url('/static/bg.png') repeat-x}",
        '.icon{background-image:url("/static/icons.svg")}',
    ]
    for k in range(300):
        rules.append(
            f".c{k:03d} .x{rng.getrandbits(24):06x}{{margin:{rng.randint(0, 40)}px;"
            f"padding:{rng.randint(0, 20)}px;color:#{rng.getrandbits(24):06x}}}"
        )
    return "\n".join(rules) + "\n"


def _js(rng: random.Random) -> str:
    lines = [
        f"function f{k}(a,b){{return a*{rng.randint(1, 99)}+b+'{_text(rng, 4)}';}}"
        for k in range(500)
    ]
    return "\n".join(lines) + "\n"


def _svg(rng: random.Random) -> str:
    shapes = "".join(
        f'<rect x="{rng.randint(0, 90)}" y="{rng.randint(0, 90)}" width="10" height="10"/>'
        for _ in range(200)
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">{shapes}</svg>\n'


def generate(root: Path, *, pages: int, seed: int = 3) -> dict[str, int]:
    """Write the site under ``root`` (reused if already generated with the same parameters).

    Returns counts and sizes (``pages``, ``files``, ``bytes``, ``page_bytes``).
    """
    params = {"pages": pages, "seed": seed, "version": 3}
    stamp = root / ".params.json"
    if stamp.is_file():
        info = json.loads(stamp.read_text())
        if info.get("params") == params:
            return dict(info["stats"])
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    files: dict[str, bytes] = {
        "static/site.css": _css(rng).encode(),
        "static/app.js": _js(rng).encode(),
        "static/logo.png": _png(rng, 6_000),
        "static/bg.png": _png(rng, 3_000),
        "static/icons.svg": _svg(rng).encode(),
        "static/body.woff2": rng.randbytes(28_000),
        "robots.txt": b"User-agent: *\nAllow: /\n",
    }
    page_bytes = 0
    for i in range(pages):
        html = _article(rng, i, pages).encode()
        page_bytes += len(html)
        files[f"news/article-{i:04d}.html"] = html
        files[f"img/{i:04d}-hero.jpg"] = _jpeg(rng, rng.randint(40_000, 90_000))
        files[f"img/{i:04d}-inline.jpg"] = _jpeg(rng, rng.randint(15_000, 40_000))
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    stats = {
        "pages": pages,
        "files": len(files),
        "bytes": sum(len(d) for d in files.values()),
        "page_bytes": page_bytes,
    }
    stamp.write_text(json.dumps({"params": params, "stats": stats}))
    return stats


def page_paths(pages: int) -> list[str]:
    """URL paths of the article pages, in order."""
    return [f"/news/article-{i:04d}.html" for i in range(pages)]
