"""The page chrome every HTML page shares: head, header, menus, sidebar, footer, cookie notice.

The markup imitates what a WordPress 6.4 news theme emits with Yoast SEO, Jetpack, Cookie Notice
and the Newsletter plugin installed, so that capture and extraction meet the same clutter they
meet on a real site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from collections import Counter
from typing import Any

from content import CATEGORIES, SITE_NAME, TAGLINE, TAGS, Article, Author, Page

SITE = "{{SITE}}"  # replaced by the test server with its origin, e.g. http://127.0.0.1:43121
WP_VER = "6.4.1"
THEME_VER = "1.4.2"
LOGO = "/wp-content/uploads/2023/01/karen-news-logo.png"
LOGO_2X = "/wp-content/uploads/2023/01/karen-news-logo-640x180.png"
ICON = "/wp-content/uploads/2023/01/cropped-kn-icon-{0}x{0}.png"
SPRITE = "/wp-content/themes/kn/assets/icons.svg"
ROBOTS = "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1"
SOCIAL = [
    ("facebook", "Facebook", "https://www.facebook.com/karennews"),
    ("x", "X", "https://x.com/karennews"),
    ("youtube", "YouTube", "https://www.youtube.com/@karennews"),
    ("telegram", "Telegram", "https://t.me/karennews"),
]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def inline(text: str) -> str:
    """Escape a paragraph and turn ``[text](href)`` into links."""
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', esc(text))


def absolute(path: str) -> str:
    return SITE + path


def long_date(when: dt.datetime) -> str:
    return f"{when:%B} {when.day}, {when.year}"


def comment_date(when: dt.datetime) -> str:
    hour = when.hour % 12 or 12
    return f"{long_date(when)} at {hour}:{when:%M} {'am' if when.hour < 12 else 'pm'}"


def iso_utc(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat()


def excerpt(article: Article, words: int = 32) -> str:
    first = article.paragraphs[0].split()
    return " ".join(first[:words]) + ("&hellip;" if len(first) > words else "")


def person_id(author: Author) -> str:
    digest = hashlib.md5(author.slug.encode(), usedforsecurity=False).hexdigest()
    return f"{SITE}/#/schema/person/{digest}"


def website_node() -> dict[str, Any]:
    return {
        "@type": "WebSite",
        "@id": f"{SITE}/#website",
        "url": f"{SITE}/",
        "name": SITE_NAME,
        "description": TAGLINE,
        "publisher": {"@id": f"{SITE}/#organization"},
        "potentialAction": [
            {
                "@type": "SearchAction",
                "target": {
                    "@type": "EntryPoint",
                    "urlTemplate": f"{SITE}/?s={{search_term_string}}",
                },
                "query-input": "required name=search_term_string",
            }
        ],
        "inLanguage": "en-US",
    }


def organization_node() -> dict[str, Any]:
    logo_id = f"{SITE}/#/schema/logo/image/"
    return {
        "@type": "Organization",
        "@id": f"{SITE}/#organization",
        "name": SITE_NAME,
        "url": f"{SITE}/",
        "logo": {
            "@type": "ImageObject",
            "inLanguage": "en-US",
            "@id": logo_id,
            "url": absolute(LOGO),
            "contentUrl": absolute(LOGO),
            "width": 320,
            "height": 90,
            "caption": SITE_NAME,
        },
        "image": {"@id": logo_id},
        "sameAs": [url for _, _, url in SOCIAL],
    }


def person_node(author: Author) -> dict[str, Any]:
    return {
        "@type": "Person",
        "@id": person_id(author),
        "name": author.name,
        "image": {
            "@type": "ImageObject",
            "inLanguage": "en-US",
            "@id": f"{SITE}/#/schema/person/image/{author.slug}",
            "url": absolute(author.avatar),
            "contentUrl": absolute(author.avatar),
            "caption": author.name,
        },
        "description": author.bio,
        "url": absolute(author.path),
    }


def breadcrumb_node(url: str, crumbs: list[tuple[str, str | None]]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for position, (name, path) in enumerate(crumbs, start=1):
        item: dict[str, Any] = {"@type": "ListItem", "position": position, "name": name}
        if path is not None:
            item["item"] = absolute(path)
        items.append(item)
    return {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": items}


def breadcrumb_html(crumbs: list[tuple[str, str | None]]) -> str:
    parts = []
    for name, path in crumbs:
        if path is None:
            parts.append(f'<span class="breadcrumb_last" aria-current="page">{esc(name)}</span>')
        else:
            parts.append(f'<span><a href="{path}">{esc(name)}</a></span>')
    return (
        '<nav class="kn-breadcrumb" aria-label="Breadcrumb"><p id="breadcrumbs"><span><span>'
        + " &raquo; ".join(parts)
        + "</span></span></p></nav>"
    )


def schema_script(graph: list[dict[str, Any]]) -> str:
    data = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
    return (
        '<script type="application/ld+json" class="yoast-schema-graph">'
        + data.replace("</", "<\\/")
        + "</script>"
    )


def meta_tags(pairs: list[tuple[str, str, str]]) -> str:
    """``<meta>`` lines from (attribute, key, content) triples, as Yoast prints them."""
    return "\n".join(
        f'<meta {attr}="{key}" content="{esc(value)}" />' for attr, key, value in pairs
    )


class Chrome:
    """Renders the parts of a page that do not depend on the page's own content."""

    def __init__(self, articles: list[Article], pages: list[Page]) -> None:
        self.articles = articles
        self.pages = {p.slug: p for p in pages}
        self.tag_counts: Counter[str] = Counter(t.slug for a in articles for t in a.tags)

    # -- head ------------------------------------------------------------------------------

    def head(
        self,
        *,
        title: str,
        description: str,
        canonical: str,
        meta: list[tuple[str, str, str]],
        graph: list[dict[str, Any]],
        robots: str = ROBOTS,
        feeds: tuple[tuple[str, str], ...] = (),
        preload: str = "",
    ) -> str:
        feed_links = [(f"{SITE_NAME} &raquo; Feed", "/feed/"), *feeds]
        lines = [
            "<!DOCTYPE html>",
            '<html lang="en-US">',
            "<head>",
            '<meta charset="UTF-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="profile" href="https://gmpg.org/xfn/11">',
            preload,
            "",
            "<!-- This site is optimized with the Yoast SEO plugin v21.5 - "
            "https://yoast.com/wordpress/plugins/seo/ -->",
            f"<title>{esc(title)}</title>",
            f'<meta name="description" content="{esc(description)}" />',
            f'<meta name="robots" content="{robots}" />',
            f'<link rel="canonical" href="{canonical}" />' if canonical else "",
            meta_tags(meta),
            schema_script(graph),
            "<!-- / Yoast SEO plugin. -->",
            "",
            *(
                f'<link rel="alternate" type="application/rss+xml" title="{t}" '
                f'href="{absolute(p)}" />'
                for t, p in feed_links
            ),
            '<link rel="stylesheet" id="wp-block-library-css" '
            f'href="/wp-includes/css/dist/block-library/style.min.css?ver={WP_VER}" '
            'media="all" />',
            f'<link rel="stylesheet" id="kn-style-css" '
            f'href="/wp-content/themes/kn/style.css?ver={THEME_VER}" media="all" />',
            f'<link rel="stylesheet" id="kn-print-css" '
            f'href="/wp-content/themes/kn/css/print.css?ver={THEME_VER}" media="print" />',
            '<style id="kn-custom-css">',
            ".site-footer{background-color:#1d2a22;"
            "background-image:url('/wp-content/themes/kn/images/footer-pattern.png');}",
            ".kn-ticker-label{background:#b3261e;}",
            "</style>",
            '<script id="kn-navigation-js-extra">',
            'var knSettings = {"tickerInterval":"5000","cookieDays":"30","menuLabel":"Menu"};',
            "</script>",
            f'<script src="/wp-content/themes/kn/js/navigation.js?ver={THEME_VER}" '
            'id="kn-navigation-js" defer></script>',
            f'<link rel="icon" href="{absolute(ICON.format(32))}" sizes="32x32" />',
            f'<link rel="icon" href="{absolute(ICON.format(192))}" sizes="192x192" />',
            f'<link rel="apple-touch-icon" href="{absolute(ICON.format(180))}" />',
            f'<meta name="msapplication-TileImage" content="{absolute(ICON.format(270))}" />',
            '<link rel="shortcut icon" href="/favicon.ico" />',
            "</head>",
        ]
        return "\n".join(line for line in lines if line is not None)

    # -- header ----------------------------------------------------------------------------

    def header(self, *, current: str = "") -> str:
        def item(item_id: int, label: str, path: str, kind: str, sub: str = "") -> str:
            classes = f"menu-item menu-item-type-{kind} menu-item-{item_id}"
            if path == current:
                classes += " current-menu-item"
            if sub:
                classes += " menu-item-has-children"
            aria = ' aria-current="page"' if path == current else ""
            return (
                f'<li id="menu-item-{item_id}" class="{classes}">'
                f'<a href="{path}"{aria}>{esc(label)}</a>{sub}</li>'
            )

        news_sub = (
            '<ul class="sub-menu">'
            + "".join(
                item(140 + i, name, f"/tag/{slug}/", "taxonomy")
                for i, (slug, name) in enumerate(
                    [("education", "Education"), ("health", "Health"), ("economy", "Economy")]
                )
            )
            + "</ul>"
        )
        menu = [item(101, "Home", "/", "custom")]
        for i, cat in enumerate(CATEGORIES.values()):
            menu.append(
                item(
                    102 + i, cat.name, cat.path, "taxonomy", news_sub if cat.slug == "news" else ""
                )
            )
        menu.append(item(110, "About", "/about/", "post_type"))
        ticker = "".join(
            f'<li><a href="{a.path}">{esc(a.title)}</a></li>' for a in self.articles[:5]
        )
        today = self.articles[0].published
        top = "".join(
            item(120 + i, p.title if p.slug != "support-us" else "Support Us", p.path, "post_type")
            for i, p in enumerate(self.pages[s] for s in ("about", "contact", "support-us"))
        )
        return f"""<div class="kn-topbar">
<div class="container">
<span class="kn-today">{today:%A}, {long_date(today)}</span>
<nav class="top-navigation" aria-label="Top menu"><ul id="top-menu" class="menu">{top}</ul></nav>
{self.social_links("kn-topbar-social")}
</div>
</div>
<header id="masthead" class="site-header">
<div class="site-branding container">
<a href="/" class="custom-logo-link" rel="home"><img width="320" height="90" src="{LOGO}" \
class="custom-logo" alt="{SITE_NAME}" decoding="async" srcset="{LOGO} 1x, {LOGO_2X} 2x"></a>
<p class="site-title screen-reader-text"><a href="/" rel="home">{SITE_NAME}</a></p>
<p class="site-description">{TAGLINE}</p>
</div>
<nav id="site-navigation" class="main-navigation" aria-label="Main menu">
<div class="container">
<button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">\
<svg class="icon icon-menu" aria-hidden="true"><use href="{SPRITE}#icon-menu"></use></svg>\
Menu</button>
<div class="menu-main-menu-container"><ul id="primary-menu" class="menu">{"".join(menu)}</ul></div>
<form role="search" method="get" class="search-form" action="/">
<label><span class="screen-reader-text">Search for:</span>\
<input type="search" class="search-field" placeholder="Search &hellip;" value="" name="s"></label>
<input type="submit" class="search-submit" value="Search">
</form>
</div>
</nav>
<div class="kn-ticker" role="region" aria-label="Breaking news">
<div class="container">
<span class="kn-ticker-label">Breaking News</span>
<ul class="kn-ticker-items">{ticker}</ul>
</div>
</div>
</header>"""

    def social_links(self, css_class: str) -> str:
        items = "".join(
            f'<li class="social-{key}"><a href="{url}" target="_blank" rel="noopener">'
            f'<svg class="icon icon-{key}" aria-hidden="true"><use href="{SPRITE}#icon-{key}">'
            f'</use></svg><span class="screen-reader-text">{label}</span></a></li>'
            for key, label, url in SOCIAL
        )
        return f'<ul class="social-links-menu {css_class}">{items}</ul>'

    # -- sidebar ---------------------------------------------------------------------------

    def newsletter_form(self, form_id: str) -> str:
        return f"""<form method="post" action="/?na=s" class="tnp-form">
<input type="hidden" name="nr" value="{form_id}">
<input type="hidden" name="nlang" value="">
<div class="tnp-field tnp-field-email"><label for="tnp-{form_id}">Email</label>\
<input class="tnp-email" type="email" name="ne" id="tnp-{form_id}" value="" \
placeholder="Your email address" required></div>
<div class="tnp-field tnp-privacy-field"><label><input type="checkbox" name="ny" required \
class="tnp-privacy"> I accept the <a href="/privacy-policy/">privacy policy</a></label></div>
<div class="tnp-field tnp-field-button"><input class="tnp-submit" type="submit" \
value="Subscribe"></div>
</form>"""

    def popular(self) -> list[Article]:
        """The "Most Read" list: the seed first, then by number of comments."""
        return sorted(self.articles, key=lambda a: (not a.is_seed, -len(a.comments)))[:5]

    def sidebar(self) -> str:
        popular = "".join(
            f'<li><a href="{a.path}" class="kn-popular-thumb"><img width="150" height="150" '
            f'src="{a.featured.thumbnail}" class="attachment-thumbnail size-thumbnail '
            f'wp-post-image" alt="" loading="lazy" decoding="async"></a>'
            f'<a href="{a.path}" class="kn-popular-title">{esc(a.title)}</a>'
            f'<span class="kn-popular-date">{long_date(a.published)}</span></li>'
            for a in self.popular()
        )
        most = max(self.tag_counts.values())
        cloud = []
        for position, (slug, count) in enumerate(sorted(self.tag_counts.items()), start=1):
            tag = TAGS[slug]
            size = 8 + 14 * (count - 1) / max(1, most - 1)
            cloud.append(
                f'<a href="{tag.path}" class="tag-cloud-link tag-link-{tag.term_id} '
                f'tag-link-position-{position}" style="font-size: {size:.1f}pt;" '
                f'aria-label="{esc(tag.name)} ({count} item{"s" if count > 1 else ""})">'
                f"{esc(tag.name)}</a>"
            )
        return f"""<aside id="secondary" class="widget-area">
<section id="kn_popular_posts-2" class="widget widget_kn_popular_posts">\
<h2 class="widget-title">Most Read</h2>
<ul class="kn-popular-list">{popular}</ul>
</section>
<section id="newsletterwidget-2" class="widget widget_newsletterwidget">\
<h2 class="widget-title">Newsletter</h2>
<div class="tnp tnp-widget"><p>Our top stories by email, every Friday.</p>
{self.newsletter_form("widget")}
</div>
</section>
<section id="media_image-3" class="widget widget_media_image kn-ad-slot">\
<span class="kn-ad-label">Advertisement</span>
<a href="/support-us/"><img width="300" height="250" \
src="/wp-content/uploads/2023/06/kn-support-ad-300x250.jpg" class="image wp-image-48811 \
attachment-full size-full" alt="Support independent journalism" decoding="async" \
loading="lazy"></a>
</section>
<section id="tag_cloud-2" class="widget widget_tag_cloud"><h2 class="widget-title">Topics</h2>
<nav aria-label="Topics"><div class="tagcloud">{" ".join(cloud)}</div></nav>
</section>
</aside>"""

    # -- footer ----------------------------------------------------------------------------

    def footer(self) -> str:
        sections = "".join(
            f'<li><a href="{c.path}">{esc(c.name)}</a></li>' for c in CATEGORIES.values()
        )
        return f"""<footer id="colophon" class="site-footer">
<div class="footer-widgets container">
<section id="text-2" class="widget widget_text"><h2 class="widget-title">About {SITE_NAME}</h2>
<div class="textwidget"><p>{SITE_NAME} is an independent news organisation reporting on Karen \
State, the Thai–Burma border and the communities who live there. \
<a href="/about/">Read more about us</a>.</p></div>
</section>
<section id="nav_menu-2" class="widget widget_nav_menu"><h2 class="widget-title">Sections</h2>
<div class="menu-sections-container"><ul id="menu-sections" class="menu">{sections}</ul></div>
</section>
<section id="kn_social-2" class="widget widget_kn_social"><h2 class="widget-title">Follow us</h2>
{self.social_links("kn-footer-social")}
<p class="kn-feeds"><a href="/feed/" class="kn-rss-link">RSS feed</a> \
<a href="/feed/atom/" class="kn-atom-link">Atom feed</a></p>
</section>
</div>
<div class="site-info container">
<p class="copyright">&copy; 2023 {SITE_NAME}. All rights reserved.</p>
<nav class="footer-navigation" aria-label="Footer menu"><ul id="footer-menu" class="menu">\
<li class="menu-item"><a href="/privacy-policy/">Privacy Policy</a></li>\
<li class="menu-item"><a href="/contact/">Contact</a></li>\
<li class="menu-item"><a href="/support-us/">Support Us</a></li></ul></nav>
</div>
</footer>"""

    def cookie_notice(self) -> str:
        return """<div id="cookie-notice" role="dialog" class="cookie-notice-hidden \
cookie-revoke-hidden cn-position-bottom" aria-label="Cookie Notice" \
style="background-color: rgba(50,50,58,1);"><div class="cookie-notice-container" \
style="color: #fff"><span id="cn-notice-text" class="cn-text-container">We use cookies to \
ensure that we give you the best experience on our website. If you continue to use this site \
we will assume that you are happy with it.</span><span id="cn-notice-buttons" \
class="cn-buttons-container"><a href="#" id="cn-accept-cookie" data-cookie-set="accept" \
class="cn-set-cookie cn-button" aria-label="Ok">Ok</a><a href="/privacy-policy/" \
target="_blank" id="cn-more-info" class="cn-more-info cn-button" \
aria-label="Privacy policy">Privacy policy</a></span><span id="cn-close-notice" \
data-cookie-set="accept" class="cn-close-icon" title="No"></span></div></div>"""

    # -- whole document --------------------------------------------------------------------

    def document(
        self,
        *,
        head: str,
        body_class: str,
        main: str,
        current: str = "",
        sidebar: bool = True,
        scripts: str = "",
    ) -> str:
        side = self.sidebar() if sidebar else ""
        return f"""{head}
<body class="{body_class} wp-custom-logo wp-embed-responsive kn-theme">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
{self.header(current=current)}
<div id="content" class="site-content container">
<div id="primary" class="content-area">
<main id="main" class="site-main">
{main}
</main>
</div>
{side}
</div>
{self.footer()}
</div>
{self.cookie_notice()}
{scripts}</body>
</html>
"""
