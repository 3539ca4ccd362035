"""Generate the example site's HTML pages, feeds and sitemaps from the content files.

Usage (from the repository root; standard library only)::

    python3 examples/site/_tools/build_site.py [--seed PATH]

It rewrites every generated file in place and leaves the hand-written assets (CSS, JS, SVG) and
the images (see make_images.py) alone. Output is deterministic: running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feeds
from chrome import (
    SITE,
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
    Article,
    Author,
    Comment,
    Page,
    Photo,
    Term,
    load_articles,
    load_pages,
)

FRONT_PAGE_SIZE = 6
FEATURED_SIZES = "(max-width: 1200px) 100vw, 1200px"


# -- pieces of post content (stored in WordPress, so absolute URLs, as in the feeds) -------------


def content_figure(photo: Photo, image_id: int) -> str:
    srcset = ", ".join(f"{absolute(photo.url(s))} {s[0]}w" for s in photo.sizes)
    width, height = photo.full
    return (
        f'<figure class="wp-block-image size-large"><img decoding="async" loading="lazy" '
        f'width="{width}" height="{height}" src="{absolute(photo.url())}" alt="{esc(photo.alt)}" '
        f'class="wp-image-{image_id}" srcset="{srcset}" '
        f'sizes="(max-width: {width}px) 100vw, {width}px" />'
        f'<figcaption class="wp-element-caption">{esc(photo.caption)}</figcaption></figure>'
    )


def gallery(article: Article) -> str:
    items = "\n".join(
        content_figure(photo, article.post_id + 10 + i) for i, photo in enumerate(article.gallery)
    )
    credit = " / ".join(a.name for a in article.authors)
    return (
        '<figure class="wp-block-gallery has-nested-images columns-2 is-cropped '
        'wp-block-gallery-1 is-layout-flex wp-block-gallery-is-layout-flex">\n'
        f"{items}\n"
        f'<figcaption class="blocks-gallery-caption wp-element-caption">Photos: {esc(credit)} / '
        f"{SITE_NAME}</figcaption></figure>"
    )


def read_also(article: Article, by_slug: dict[str, Article]) -> str:
    links = "".join(
        f'<li><a href="{absolute(by_slug[s].path)}">{esc(by_slug[s].title)}</a></li>'
        for s in article.read_also
    )
    return (
        '<aside class="kn-read-also" aria-label="Read also">'
        f'<h4 class="kn-read-also-title">Read also</h4><ul>{links}</ul></aside>'
    )


IN_ARTICLE_AD = """<div class="kn-ad-slot kn-ad-inarticle"><span class="kn-ad-label">\
Advertisement</span><ins class="adsbygoogle" style="display:block; text-align:center;" \
data-ad-layout="in-article" data-ad-format="fluid" data-ad-client="ca-pub-0000000000000000" \
data-ad-slot="1000000001"></ins></div>"""


def post_content(article: Article, by_slug: dict[str, Article] | None = None) -> str:
    """The post's content. With ``by_slug`` (the web page) the plugins' insertions are added."""
    out = []
    paragraph = 0
    for block in article.body:
        if block == "[gallery]":
            out.append(gallery(article))
        elif block.startswith("## "):
            out.append(f'<h2 class="wp-block-heading">{esc(block[3:])}</h2>')
        elif block.startswith("*") and block.endswith("*"):
            out.append(f'<p class="kn-note"><em>{inline(block[1:-1])}</em></p>')
        else:
            # The seed's text goes in unchanged: escaping leaves its characters as they are.
            out.append(f"<p>{esc(block) if article.is_seed else inline(block)}</p>")
            paragraph += 1
            if article.inline_image and paragraph == article.inline_after:
                out.append(content_figure(article.inline_image, article.post_id + 4))
            if by_slug is not None and paragraph == 2:
                out.append(IN_ARTICLE_AD)
            if by_slug is not None and paragraph == article.read_also_after:
                out.append(read_also(article, by_slug))
    return "\n".join(out)


# -- pieces of the article page --------------------------------------------------------------


def byline(article: Article, *, rel_author: bool | None = None) -> str:
    rel = article.rel_author if rel_author is None else rel_author
    attr = ' rel="author"' if rel else ""
    names = [
        f'<span class="author vcard"><a class="url fn n" href="{a.path}"{attr}>{esc(a.name)}</a>'
        "</span>"
        for a in article.authors
    ]
    return f'<span class="byline">By {" and ".join(names)}</span>'


def posted_on(article: Article) -> str:
    published = article.published.isoformat()
    modified = article.modified.isoformat()
    return (
        f'<span class="posted-on"><time class="entry-date published" datetime="{published}">'
        f'{long_date(article.published)}</time><time class="updated" datetime="{modified}">'
        f"{long_date(article.modified)}</time></span>"
    )


def featured_figure(article: Article) -> str:
    photo = article.featured
    width, height = photo.full
    img = (
        f'<img width="{width}" height="{height}" src="{photo.url()}" '
        'class="attachment-post-thumbnail size-post-thumbnail wp-post-image" '
        f'alt="{esc(photo.alt)}" decoding="async" fetchpriority="high" '
        f'srcset="{photo.srcset()}" sizes="{FEATURED_SIZES}">'
    )
    if photo.webp:
        img = (
            f'<picture><source type="image/webp" srcset="{photo.srcset(webp=True)}" '
            f'sizes="{FEATURED_SIZES}">{img}</picture>'
        )
    return (
        f'<figure class="post-thumbnail wp-caption">{img}'
        f'<figcaption class="wp-caption-text">{esc(photo.caption)}</figcaption></figure>'
    )


def share_buttons(article: Article) -> str:
    url = absolute(article.path)
    text = quote(article.title)
    buttons = [
        ("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
        ("x", "X", f"https://x.com/intent/post?url={url}&amp;text={text}"),
        ("jetpack-whatsapp", "WhatsApp", f"https://api.whatsapp.com/send?text={text}%20{url}"),
        ("telegram", "Telegram", f"https://t.me/share/url?url={url}&amp;text={text}"),
        ("email", "Email", f"mailto:?subject={text}&amp;body={url}"),
    ]
    items = "".join(
        f'<li class="share-{key}"><a rel="nofollow noopener noreferrer" '
        f'data-shared="sharing-{key}-{article.post_id}" class="share-{key} sd-button share-icon" '
        f'href="{href}" target="_blank" title="Click to share on {label}">'
        f"<span>{label}</span></a></li>"
        for key, label, href in buttons
    )
    return (
        '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
        'sd-social sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3>'
        f'<div class="sd-content"><ul>{items}<li class="share-end"></li></ul></div></div></div>'
    )


def related(article: Article, articles: list[Article]) -> list[Article]:
    others = [a for a in articles if a.slug != article.slug]
    same = [a for a in others if a.category == article.category]
    return (same + [a for a in others if a not in same])[:3]


def related_posts(article: Article, articles: list[Article]) -> str:
    items = []
    for position, other in enumerate(related(article, articles)):
        thumb = other.featured.url((300, 169))
        link = (
            f'href="{other.path}" title="{esc(other.title)}" rel="nofollow" '
            f'data-origin="{article.post_id}" data-position="{position}"'
        )
        items.append(
            f'<div class="jp-relatedposts-post jp-relatedposts-post{position} '
            f'jp-relatedposts-post-thumbs" data-post-id="{other.post_id}" data-post-format="false">'
            f'<a class="jp-relatedposts-post-a" {link}><img class="jp-relatedposts-post-img" '
            f'loading="lazy" src="{thumb}" width="300" height="169" alt="{esc(other.title)}"></a>'
            f'<h4 class="jp-relatedposts-post-title"><a class="jp-relatedposts-post-a" {link}>'
            f"{esc(other.title)}</a></h4>"
            f'<p class="jp-relatedposts-post-excerpt">{excerpt(other, 20)}</p>'
            f'<p class="jp-relatedposts-post-date">{long_date(other.published)}</p>'
            f'<p class="jp-relatedposts-post-context">In &quot;{esc(other.category.name)}&quot;'
            "</p></div>"
        )
    return (
        '<div id="jp-relatedposts" class="jp-relatedposts">'
        '<h3 class="jp-relatedposts-headline"><em>Related</em></h3>'
        '<div class="jp-relatedposts-items jp-relatedposts-items-visual">'
        + "".join(items)
        + "</div></div>"
    )


def newsletter_box(chrome: Chrome) -> str:
    return (
        '<div class="kn-newsletter-box" '
        "style=\"background-image:url('/wp-content/themes/kn/images/newsletter-bg.jpg')\">"
        '<h3 class="kn-newsletter-title">Get Karen News in your inbox</h3>'
        "<p>Our top stories from Karen State and the border, every Friday. Free, and you can "
        "unsubscribe at any time.</p>\n"
        f"{chrome.newsletter_form('after-content')}</div>"
    )


def author_box(author: Author, *, rel_author: bool) -> str:
    rel = ' rel="author"' if rel_author else ""
    return (
        '<div class="author-info vcard"><div class="author-avatar">'
        f'<img alt="" src="{author.avatar}" srcset="{author.avatar_2x} 2x" '
        'class="avatar avatar-96 photo" height="96" width="96" loading="lazy" decoding="async">'
        '</div><div class="author-description"><h2 class="author-title">About '
        f'<span class="author-name">{esc(author.name)}</span></h2>'
        f'<p class="author-bio">{esc(author.bio)}</p><a class="author-link" href="{author.path}"'
        f"{rel}>View all posts by {esc(author.name)}</a></div></div>"
    )


def post_navigation(article: Article, articles: list[Article]) -> str:
    index = articles.index(article)
    parts = []
    if index + 1 < len(articles):
        older = articles[index + 1]
        parts.append(
            f'<div class="nav-previous"><a href="{older.path}" rel="prev">'
            f'<span class="meta-nav">Previous</span> <span class="post-title">'
            f"{esc(older.title)}</span></a></div>"
        )
    if index > 0:
        newer = articles[index - 1]
        parts.append(
            f'<div class="nav-next"><a href="{newer.path}" rel="next">'
            f'<span class="meta-nav">Next</span> <span class="post-title">'
            f"{esc(newer.title)}</span></a></div>"
        )
    return (
        '<nav class="navigation post-navigation" aria-label="Posts">'
        '<h2 class="screen-reader-text">Post navigation</h2>'
        f'<div class="nav-links">{"".join(parts)}</div></nav>'
    )


AVATAR = "/wp-content/themes/kn/images/avatar-default.png"
AVATAR_2X = "/wp-content/themes/kn/images/avatar-default-2x.png"


def comment_item(article: Article, comment: Comment, depth: int, index: int) -> str:
    children = [c for c in article.comments if c.parent == comment.comment_id]
    parity = "even" if index % 2 == 0 else "odd"
    classes = f"comment {parity} thread-{parity} depth-{depth}" + (" parent" if children else "")
    cid = comment.comment_id
    inner = "".join(
        comment_item(article, c, depth + 1, index + 1 + i) for i, c in enumerate(children)
    )
    reply_to = esc(f"Reply to {comment.name}")
    return f"""<li id="comment-{cid}" class="{classes}">
<article id="div-comment-{cid}" class="comment-body">
<footer class="comment-meta">
<div class="comment-author vcard"><img alt="" src="{AVATAR}" srcset="{AVATAR_2X} 2x" \
class="avatar avatar-56 photo" height="56" width="56" loading="lazy" decoding="async"> \
<b class="fn">{esc(comment.name)}</b> <span class="says">says:</span></div>
<div class="comment-metadata"><a href="{article.path}#comment-{cid}">\
<time datetime="{comment.date.isoformat()}">{comment_date(comment.date)}</time></a></div>
</footer>
<div class="comment-content"><p>{esc(comment.text)}</p></div>
<div class="reply"><a rel="nofollow" class="comment-reply-link" \
href="{article.path}?replytocom={cid}#respond" data-commentid="{cid}" \
data-postid="{article.post_id}" data-belowelement="div-comment-{cid}" \
data-respondelement="respond" data-replyto="{reply_to}" aria-label="{reply_to}">Reply</a></div>
</article>
{f'<ol class="children">{inner}</ol>' if inner else ""}</li>"""


def comments_area(article: Article) -> str:
    count = len(article.comments)
    listing = ""
    if count:
        title = f"{count} thought{'s' if count > 1 else ''} on &ldquo;{esc(article.title)}&rdquo;"
        top = [c for c in article.comments if c.parent == 0]
        items = "\n".join(comment_item(article, c, 1, i) for i, c in enumerate(top))
        listing = (
            f'<h2 class="comments-title">{title}</h2>\n<ol class="comment-list">\n{items}\n</ol>'
        )
    required = '<span class="required">*</span>'
    return f"""<div id="comments" class="comments-area">
{listing}
<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Reply <small><a rel="nofollow" \
id="cancel-comment-reply-link" href="{article.path}#respond" style="display:none;">Cancel reply\
</a></small></h3>
<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form" novalidate>
<p class="comment-notes"><span id="email-notes">Your email address will not be published.</span> \
<span class="required-field-message">Required fields are marked {required}</span></p>
<p class="comment-form-comment"><label for="comment">Comment {required}</label> \
<textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required></textarea></p>
<p class="comment-form-author"><label for="author">Name {required}</label> <input id="author" \
name="author" type="text" value="" size="30" maxlength="245" autocomplete="name" required></p>
<p class="comment-form-email"><label for="email">Email {required}</label> <input id="email" \
name="email" type="email" value="" size="30" maxlength="100" aria-describedby="email-notes" \
autocomplete="email" required></p>
<p class="comment-form-url"><label for="url">Website</label> <input id="url" name="url" \
type="url" value="" size="30" maxlength="200" autocomplete="url"></p>
<p class="comment-form-cookies-consent"><input id="wp-comment-cookies-consent" \
name="wp-comment-cookies-consent" type="checkbox" value="yes"> \
<label for="wp-comment-cookies-consent">Save my name, email, and website in this browser for the \
next time I comment.</label></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" \
value="Post Comment"> <input type="hidden" name="comment_post_ID" value="{article.post_id}" \
id="comment_post_ID"> <input type="hidden" name="comment_parent" id="comment_parent" value="0"></p>
</form>
</div>
</div>"""


def reading_minutes(article: Article) -> int:
    return max(1, round(article.word_count / 200))


def post_classes(article: Article) -> str:
    terms = " ".join(f"tag-{t.slug}" for t in article.tags)
    return (
        f"post-{article.post_id} post type-post status-publish format-standard "
        f"has-post-thumbnail hentry category-{article.category.slug} {terms}"
    )


# -- the article page ------------------------------------------------------------------------


def article_graph(article: Article) -> list[dict[str, Any]]:
    url = absolute(article.path)
    photo = article.featured
    authors = [{"@type": "Person", "name": a.name, "@id": person_id(a)} for a in article.authors]
    crumbs = [("Home", "/"), (article.category.name, article.category.path), (article.title, None)]
    return [
        {
            "@type": "NewsArticle",
            "@id": f"{url}#article",
            "isPartOf": {"@id": url},
            "author": authors[0] if len(authors) == 1 else authors,
            "headline": article.title,
            "datePublished": article.published.isoformat(),
            "dateModified": article.modified.isoformat(),
            "mainEntityOfPage": {"@id": url},
            "wordCount": article.word_count,
            "commentCount": len(article.comments),
            "publisher": {"@id": f"{SITE}/#organization"},
            "image": {"@id": f"{url}#primaryimage"},
            "thumbnailUrl": absolute(photo.url()),
            "keywords": [t.name for t in article.tags],
            "articleSection": [article.category.name],
            "inLanguage": "en-US",
            "potentialAction": [
                {"@type": "CommentAction", "name": "Comment", "target": [f"{url}#respond"]}
            ],
            "copyrightYear": str(article.published.year),
            "copyrightHolder": {"@id": f"{SITE}/#organization"},
        },
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{article.title} - {SITE_NAME}",
            "isPartOf": {"@id": f"{SITE}/#website"},
            "primaryImageOfPage": {"@id": f"{url}#primaryimage"},
            "image": {"@id": f"{url}#primaryimage"},
            "thumbnailUrl": absolute(photo.url()),
            "datePublished": article.published.isoformat(),
            "dateModified": article.modified.isoformat(),
            "description": article.description,
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-US",
            "potentialAction": [{"@type": "ReadAction", "target": [url]}],
        },
        {
            "@type": "ImageObject",
            "inLanguage": "en-US",
            "@id": f"{url}#primaryimage",
            "url": absolute(photo.url()),
            "contentUrl": absolute(photo.url()),
            "width": photo.full[0],
            "height": photo.full[1],
            "caption": photo.caption,
        },
        breadcrumb_node(url, crumbs),
        website_node(),
        organization_node(),
        *(person_node(a) for a in article.authors),
    ]


def article_head(chrome: Chrome, article: Article) -> str:
    url = absolute(article.path)
    names = ", ".join(a.name for a in article.authors)
    photo = article.featured
    meta = [
        ("property", "og:locale", "en_US"),
        ("property", "og:type", "article"),
        ("property", "og:title", f"{article.title} - {SITE_NAME}"),
        ("property", "og:description", article.description),
        ("property", "og:url", url),
        ("property", "og:site_name", SITE_NAME),
        ("property", "article:publisher", "https://www.facebook.com/karennews"),
        *(("property", "article:author", absolute(a.path)) for a in article.authors),
        ("property", "article:published_time", article.published.isoformat()),
        ("property", "article:modified_time", article.modified.isoformat()),
        ("property", "article:section", article.category.name),
        *(("property", "article:tag", t.name) for t in article.tags),
        ("property", "og:image", absolute(photo.url())),
        ("property", "og:image:width", str(photo.full[0])),
        ("property", "og:image:height", str(photo.full[1])),
        ("property", "og:image:type", "image/jpeg"),
        ("name", "author", names),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:creator", "@karennews"),
        ("name", "twitter:site", "@karennews"),
        ("name", "twitter:label1", "Written by"),
        ("name", "twitter:data1", names),
        ("name", "twitter:label2", "Est. reading time"),
        ("name", "twitter:data2", f"{reading_minutes(article)} minutes"),
    ]
    preload = (
        f'<link rel="preload" as="image" href="{photo.url((1024, 576))}" '
        f'imagesrcset="{photo.srcset()}" imagesizes="{FEATURED_SIZES}" fetchpriority="high">'
    )
    return chrome.head(
        title=f"{article.title} - {SITE_NAME}",
        description=article.description,
        canonical=url,
        meta=meta,
        graph=article_graph(article),
        preload=preload,
    )


def article_page(chrome: Chrome, article: Article, by_slug: dict[str, Article]) -> str:
    articles = chrome.articles
    count = len(article.comments)
    comments_link = f"{count} Comment{'s' if count != 1 else ''}" if count else "Leave a comment"
    tags = ", ".join(f'<a href="{t.path}" rel="tag">{esc(t.name)}</a>' for t in article.tags)
    cat = f'<a href="{article.category.path}" rel="category tag">{esc(article.category.name)}</a>'
    crumbs = [("Home", "/"), (article.category.name, article.category.path), (article.title, None)]
    main = f"""{breadcrumb_html(crumbs)}
<article id="post-{article.post_id}" class="{post_classes(article)}">
<header class="entry-header">
<div class="entry-categories"><span class="cat-links">{cat}</span></div>
<h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta">
{byline(article)}
{posted_on(article)}
<span class="comments-link"><a href="#comments">{comments_link}</a></span>
<span class="reading-time">{reading_minutes(article)} min read</span>
</div>
</header>
{featured_figure(article)}
<div class="entry-content">
{post_content(article, by_slug)}
{share_buttons(article)}
{related_posts(article, articles)}
</div>
{newsletter_box(chrome)}
<footer class="entry-footer"><span class="cat-links">Posted in {cat}</span> \
<span class="tags-links">Tagged {tags}</span></footer>
</article>
{"".join(author_box(a, rel_author=article.rel_author) for a in article.authors)}
{post_navigation(article, articles)}
{comments_area(article)}"""
    body_class = (
        f"post-template-default single single-post postid-{article.post_id} single-format-standard"
    )
    scripts = (
        f'<script src="/wp-includes/js/comment-reply.min.js?ver={WP_VER}" id="comment-reply-js" '
        'async data-wp-strategy="async"></script>\n'
    )
    return chrome.document(
        head=article_head(chrome, article),
        body_class=body_class,
        main=main,
        current=article.category.path,
        scripts=scripts,
    )


# -- lists of posts: front page, archives ----------------------------------------------------


def card(article: Article, *, size: tuple[int, int], heading: str) -> str:
    photo = article.featured
    width, height = size
    if size == (150, 150):  # a hard crop: WordPress gives it no srcset
        kind, srcset = "thumbnail", ""
    else:
        kind = "medium" if width <= 300 else "medium_large"
        srcset = f' srcset="{photo.srcset()}" sizes="(max-width: {width}px) 100vw, {width}px"'
    return f"""<article id="post-{article.post_id}" class="{post_classes(article)} kn-card">
<a class="post-thumbnail" href="{article.path}" aria-hidden="true" tabindex="-1"><img \
width="{width}" height="{height}" src="{photo.url(size)}" class="attachment-{kind} \
size-{kind} wp-post-image" alt="" loading="lazy" decoding="async"{srcset}></a>
<header class="entry-header">
<span class="cat-links"><a href="{article.category.path}" rel="category tag">\
{esc(article.category.name)}</a></span>
<{heading} class="entry-title"><a href="{article.path}" rel="bookmark">{esc(article.title)}</a>\
</{heading}>
<div class="entry-meta">{byline(article, rel_author=False)} {posted_on(article)}</div>
</header>
<div class="entry-summary"><p>{excerpt(article)}</p></div>
<a class="more-link" href="{article.path}">Read more<span class="screen-reader-text"> \
&ldquo;{esc(article.title)}&rdquo;</span></a>
</article>"""


def listing_graph(
    url: str, name: str, kind: str, crumbs: list[tuple[str, str | None]]
) -> list[Any]:
    return [
        {
            "@type": kind,
            "@id": url,
            "url": url,
            "name": name,
            "isPartOf": {"@id": f"{SITE}/#website"},
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-US",
        },
        breadcrumb_node(url, crumbs),
        website_node(),
        organization_node(),
    ]


def website_meta(title: str, description: str, url: str) -> list[tuple[str, str, str]]:
    return [
        ("property", "og:locale", "en_US"),
        ("property", "og:type", "website"),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
        ("property", "og:site_name", SITE_NAME),
        ("property", "og:image", absolute("/wp-content/uploads/2023/01/karen-news-logo.png")),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:site", "@karennews"),
    ]


def pagination(current: int, total: int) -> str:
    def href(n: int) -> str:
        return "/" if n == 1 else f"/page/{n}/"

    parts = []
    if current > 1:
        parts.append(
            f'<a class="prev page-numbers" href="{href(current - 1)}">&laquo; Previous</a>'
        )
    for n in range(1, total + 1):
        if n == current:
            parts.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
        else:
            parts.append(f'<a class="page-numbers" href="{href(n)}">{n}</a>')
    if current < total:
        parts.append(f'<a class="next page-numbers" href="{href(current + 1)}">Next &raquo;</a>')
    return (
        '<nav class="navigation pagination" aria-label="Posts">'
        '<h2 class="screen-reader-text">Posts navigation</h2>'
        f'<div class="nav-links">{"".join(parts)}</div></nav>'
    )


def front_page(chrome: Chrome, number: int) -> str:
    articles = chrome.articles
    total = -(-len(articles) // FRONT_PAGE_SIZE)
    shown = articles[(number - 1) * FRONT_PAGE_SIZE : number * FRONT_PAGE_SIZE]
    path = "/" if number == 1 else f"/page/{number}/"
    url = absolute(path)
    suffix = "" if number == 1 else f" - Page {number} of {total}"
    title = f"{SITE_NAME}{suffix} - {TAGLINE}"
    hero = ""
    if number == 1:
        top = articles[0]
        hero = f"""<section class="kn-hero" \
style="background-image:url('{top.featured.url((1024, 576))}')">
<div class="kn-hero-inner"><span class="cat-links"><a href="{top.category.path}">\
{esc(top.category.name)}</a></span>
<h2 class="kn-hero-title"><a href="{top.path}">{esc(top.title)}</a></h2>
<p class="kn-hero-excerpt">{esc(top.description)}</p></div>
</section>
"""
    cards = "\n".join(card(a, size=(768, 432), heading="h3") for a in shown)
    main = (
        f'{hero}<h2 class="section-title">Latest News</h2>\n<div class="kn-post-grid">\n{cards}\n'
        f"</div>\n{pagination(number, total)}"
    )
    rel_links = []
    if number > 1:
        prev = "/" if number == 2 else f"/page/{number - 1}/"
        rel_links.append(f'<link rel="prev" href="{absolute(prev)}" />')
    if number < total:
        rel_links.append(f'<link rel="next" href="{absolute(f"/page/{number + 1}/")}" />')
    crumbs: list[tuple[str, str | None]] = [("Home", None)]
    head = chrome.head(
        title=title,
        description=f"{SITE_NAME}: {TAGLINE}.",
        canonical=url,
        meta=website_meta(title, f"{SITE_NAME}: {TAGLINE}.", url),
        graph=listing_graph(url, title, "CollectionPage", crumbs),
        preload="\n".join(rel_links),
    )
    body_class = "home blog" + ("" if number == 1 else f" paged paged-{number}")
    return chrome.document(head=head, body_class=body_class, main=main, current=path)


def archive_page(chrome: Chrome, term: Term) -> str:
    posts = [
        a
        for a in chrome.articles
        if (a.category == term if term.taxonomy == "category" else term in a.tags)
    ]
    url = absolute(term.path)
    title = f"{term.name} Archives - {SITE_NAME}"
    label = "Category" if term.taxonomy == "category" else "Tag"
    description = term.description or f"Reports tagged {term.name} from {SITE_NAME}."
    crumbs: list[tuple[str, str | None]] = [("Home", "/"), (term.name, None)]
    feeds_: tuple[tuple[str, str], ...] = ()
    if term.taxonomy == "category" and term.slug == "news":
        feeds_ = ((f"{SITE_NAME} &raquo; {term.name} Category Feed", f"{term.path}feed/"),)
    head = chrome.head(
        title=title,
        description=description,
        canonical=url,
        meta=website_meta(title, description, url),
        graph=listing_graph(url, title, "CollectionPage", crumbs),
        feeds=feeds_,
    )
    size = (300, 169) if term.taxonomy == "category" else (150, 150)
    cards = "\n".join(card(a, size=size, heading="h2") for a in posts)
    main = f"""{breadcrumb_html(crumbs)}
<header class="page-header">
<h1 class="page-title">{label}: <span>{esc(term.name)}</span></h1>
<div class="archive-description"><p>{esc(description)}</p></div>
</header>
<div class="kn-post-list">
{cards}
</div>"""
    kind = "category" if term.taxonomy == "category" else "tag"
    body_class = f"archive {kind} {kind}-{term.slug} {kind}-{term.term_id}"
    return chrome.document(head=head, body_class=body_class, main=main, current=term.path)


def author_page(chrome: Chrome, author: Author) -> str:
    posts = [a for a in chrome.articles if author in a.authors]
    url = absolute(author.path)
    title = f"{author.name}, Author at {SITE_NAME}"
    crumbs: list[tuple[str, str | None]] = [("Home", "/"), (f"Archives for {author.name}", None)]
    graph = listing_graph(url, title, "ProfilePage", crumbs)
    graph[0]["mainEntity"] = {"@id": person_id(author)}
    graph.append(person_node(author))
    meta = website_meta(title, author.bio, url)
    meta[1] = ("property", "og:type", "profile")
    head = chrome.head(title=title, description=author.bio, canonical=url, meta=meta, graph=graph)
    cards = "\n".join(card(a, size=(150, 150), heading="h2") for a in posts)
    main = f"""{breadcrumb_html(crumbs)}
<header class="page-header author-header">
<img alt="" src="{author.avatar}" srcset="{author.avatar_2x} 2x" class="avatar avatar-96 photo" \
height="96" width="96" decoding="async">
<h1 class="page-title">Author: <span class="vcard">{esc(author.name)}</span></h1>
<p class="author-role">{esc(author.role)}</p>
<div class="archive-description"><p>{esc(author.bio)}</p></div>
</header>
<div class="kn-post-list">
{cards}
</div>"""
    body_class = f"archive author author-{author.slug} author-{author.user_id}"
    return chrome.document(head=head, body_class=body_class, main=main, current=author.path)


# -- static pages and the 404 ----------------------------------------------------------------

CONTACT_FORM = """<div class="wpcf7 no-js" id="wpcf7-f120-p14-o1" lang="en-US" dir="ltr">
<form action="/contact/#wpcf7-f120-p14-o1" method="post" class="wpcf7-form init" \
novalidate="novalidate" data-status="init">
<div style="display: none;"><input type="hidden" name="_wpcf7" value="120">\
<input type="hidden" name="_wpcf7_version" value="5.8.3">\
<input type="hidden" name="_wpcf7_locale" value="en_US">\
<input type="hidden" name="_wpcf7_unit_tag" value="wpcf7-f120-p14-o1"></div>
<p><label> Your name<br><span class="wpcf7-form-control-wrap" data-name="your-name">\
<input size="40" class="wpcf7-form-control wpcf7-text wpcf7-validates-as-required" \
autocomplete="name" aria-required="true" aria-invalid="false" value="" type="text" \
name="your-name"></span></label></p>
<p><label> Your email<br><span class="wpcf7-form-control-wrap" data-name="your-email">\
<input size="40" class="wpcf7-form-control wpcf7-email wpcf7-validates-as-required wpcf7-text \
wpcf7-validates-as-email" autocomplete="email" aria-required="true" aria-invalid="false" \
value="" type="email" name="your-email"></span></label></p>
<p><label> Subject<br><span class="wpcf7-form-control-wrap" data-name="your-subject">\
<input size="40" class="wpcf7-form-control wpcf7-text" aria-invalid="false" value="" \
type="text" name="your-subject"></span></label></p>
<p><label> Your message<br><span class="wpcf7-form-control-wrap" data-name="your-message">\
<textarea cols="40" rows="10" class="wpcf7-form-control wpcf7-textarea" aria-invalid="false" \
name="your-message"></textarea></span></label></p>
<p><input class="wpcf7-form-control wpcf7-submit has-spinner" type="submit" value="Send"></p>
<div class="wpcf7-response-output" aria-hidden="true"></div>
</form>
</div>"""


def static_page(chrome: Chrome, page: Page) -> str:
    url = absolute(page.path)
    title = f"{page.title} - {SITE_NAME}"
    crumbs: list[tuple[str, str | None]] = [("Home", "/"), (page.title, None)]
    graph = listing_graph(url, title, "WebPage", crumbs)
    graph[0]["datePublished"] = page.published.isoformat()
    graph[0]["dateModified"] = page.modified.isoformat()
    graph[0]["description"] = page.description
    meta = website_meta(title, page.description, url)
    meta[1] = ("property", "og:type", "article")
    meta.append(("property", "article:modified_time", page.modified.isoformat()))
    head = chrome.head(
        title=title, description=page.description, canonical=url, meta=meta, graph=graph
    )
    if page.slug == "contact":
        head = head.replace(
            "</head>",
            '<link rel="stylesheet" id="contact-form-7-css" '
            'href="/wp-content/plugins/contact-form-7/includes/css/styles.css?ver=5.8.3" '
            'media="all" />\n</head>',
        )
    blocks = []
    for block in page.body:
        if block == "[contact-form]":
            blocks.append(CONTACT_FORM)
        elif block.startswith("## "):
            blocks.append(f'<h2 class="wp-block-heading">{esc(block[3:])}</h2>')
        else:
            blocks.append(f"<p>{inline(block)}</p>")
    content = "\n".join(blocks)
    main = f"""{breadcrumb_html(crumbs)}
<article id="post-{page.page_id}" class="post-{page.page_id} page type-page status-publish hentry">
<header class="entry-header"><h1 class="entry-title">{esc(page.title)}</h1></header>
<div class="entry-content">
{content}
</div>
</article>"""
    body_class = f"page-template-default page page-id-{page.page_id}"
    return chrome.document(head=head, body_class=body_class, main=main, current=page.path)


def not_found_page(chrome: Chrome) -> str:
    """The 404 page. It may be served at any depth, so every link is root-relative."""
    title = f"Page not found - {SITE_NAME}"
    head = chrome.head(
        title=title,
        description=f"{SITE_NAME}: {TAGLINE}.",
        canonical="",
        meta=website_meta(title, TAGLINE, absolute("/")),
        graph=[website_node(), organization_node()],
        robots="noindex, follow",
    )
    recent = "".join(f'<li><a href="{a.path}">{esc(a.title)}</a></li>' for a in chrome.articles[:5])
    main = f"""<section class="error-404 not-found">
<header class="page-header"><h1 class="page-title">Oops! That page can&rsquo;t be found.</h1>\
</header>
<div class="page-content">
<p>It looks like nothing was found at this location. Maybe try one of the links below or a \
search?</p>
<form role="search" method="get" class="search-form" action="/"><label>\
<span class="screen-reader-text">Search for:</span><input type="search" class="search-field" \
placeholder="Search &hellip;" value="" name="s"></label><input type="submit" \
class="search-submit" value="Search"></form>
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>\
<ul>{recent}</ul></section>
</div>
</section>"""
    return chrome.document(head=head, body_class="error404", main=main)


# -- writing ---------------------------------------------------------------------------------


def write(relative: str, text: str) -> None:
    path = SITE_ROOT / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def page_file(url_path: str) -> str:
    return url_path.strip("/") + "/index.html" if url_path != "/" else "index.html"


def build(seed: Path) -> int:
    articles = load_articles(seed)
    pages = load_pages()
    chrome = Chrome(articles, pages)
    by_slug = {a.slug: a for a in articles}
    count = 0

    def emit(url_path: str, text: str) -> None:
        nonlocal count
        write(page_file(url_path), text)
        count += 1

    total = -(-len(articles) // FRONT_PAGE_SIZE)
    for number in range(1, total + 1):
        emit("/" if number == 1 else f"/page/{number}/", front_page(chrome, number))
    for article in articles:
        emit(article.path, article_page(chrome, article, by_slug))
    for term in CATEGORIES.values():
        emit(term.path, archive_page(chrome, term))
    for tag in TAGS.values():
        if chrome.tag_counts[tag.slug]:
            emit(tag.path, archive_page(chrome, tag))
    for author in AUTHORS.values():
        emit(author.path, author_page(chrome, author))
    for page in pages:
        emit(page.path, static_page(chrome, page))
    write("404.html", not_found_page(chrome))
    for relative, text in feeds.generate(articles, pages, content=post_content):
        write(relative, text)
        count += 1
    return count + 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="the seed article file")
    args = parser.parse_args(argv)
    count = build(args.seed)
    print(f"wrote {count} files under {SITE_ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
