/**
 * KN News article app: renders a post from the REST API into an empty container.
 *
 * The page holds the site's header, menus, sidebar and footer, and an empty
 * <div id="kn-app-article" data-post-id="…">. This script fetches
 * {restBase}posts/{id}.json and renders the breadcrumb, headline, byline, dates, featured image,
 * content, Jetpack related posts, tags and author box, sets the document title and adds the
 * NewsArticle JSON-LD. Lazy images in what it renders (class "lazyload", data-src) are left to
 * lazyload.js.
 */
(function () {
	'use strict';

	var cfg = window.knLive || {};
	var rest = cfg.restBase || '/wp-json/kn/v1/';
	var siteName = cfg.siteName || 'Karen News';

	function el(tag, attrs, text) {
		var node = document.createElement(tag);
		Object.keys(attrs || {}).forEach(function (name) {
			node.setAttribute(name, attrs[name]);
		});
		if (text) {
			node.textContent = text;
		}
		return node;
	}

	function link(href, text, attrs) {
		var a = el('a', attrs || {}, text);
		a.setAttribute('href', href);
		return a;
	}

	function join(parent, nodes, separator) {
		nodes.forEach(function (node, i) {
			if (i) {
				parent.appendChild(document.createTextNode(separator));
			}
			parent.appendChild(node);
		});
		return parent;
	}

	function breadcrumb(post) {
		var nav = el('nav', { 'class': 'kn-breadcrumb', 'aria-label': 'Breadcrumb' });
		var p = el('p', { id: 'breadcrumbs' });
		var category = post.categories[0];
		join(p, [
			link('/', 'Home'),
			link(category.link, category.name),
			el('span', { 'class': 'breadcrumb_last', 'aria-current': 'page' }, post.title.rendered)
		], ' \u00bb ');
		nav.appendChild(p);
		return nav;
	}

	function header(post) {
		var head = el('header', { 'class': 'entry-header' });
		var cats = el('div', { 'class': 'entry-categories' });
		var catLinks = el('span', { 'class': 'cat-links' });
		join(catLinks, post.categories.map(function (c) {
			return link(c.link, c.name, { rel: 'category tag' });
		}), ', ');
		cats.appendChild(catLinks);
		head.appendChild(cats);
		head.appendChild(el('h1', { 'class': 'entry-title' }, post.title.rendered));
		var meta = el('div', { 'class': 'entry-meta' });
		var byline = el('span', { 'class': 'byline' }, 'By ');
		join(byline, post.authors.map(function (a) {
			var span = el('span', { 'class': 'author vcard' });
			span.appendChild(link(a.link, a.name, { 'class': 'url fn n', rel: 'author' }));
			return span;
		}), ' and ');
		meta.appendChild(byline);
		meta.appendChild(document.createTextNode(' '));
		var posted = el('span', { 'class': 'posted-on' });
		posted.appendChild(el('time', { 'class': 'entry-date published', datetime: post.date }, post.date_display));
		posted.appendChild(el('time', { 'class': 'updated', datetime: post.modified }, post.modified_display));
		meta.appendChild(posted);
		meta.appendChild(document.createTextNode(' '));
		meta.appendChild(el('span', { 'class': 'reading-time' }, post.reading_time + ' min read'));
		head.appendChild(meta);
		return head;
	}

	function featured(media) {
		var figure = el('figure', { 'class': 'post-thumbnail wp-caption' });
		var img = el('img', {
			width: String(media.width),
			height: String(media.height),
			'class': 'attachment-post-thumbnail size-post-thumbnail wp-post-image',
			alt: media.alt,
			decoding: 'async',
			fetchpriority: 'high'
		});
		img.src = media.src;
		figure.appendChild(img);
		figure.appendChild(el('figcaption', { 'class': 'wp-caption-text' }, media.caption));
		return figure;
	}

	function relatedPosts(posts, origin) {
		var box = el('div', { id: 'jp-relatedposts', 'class': 'jp-relatedposts' });
		var headline = el('h3', { 'class': 'jp-relatedposts-headline' });
		headline.appendChild(el('em', {}, 'Related'));
		box.appendChild(headline);
		var items = el('div', { 'class': 'jp-relatedposts-items jp-relatedposts-items-visual' });
		posts.forEach(function (post, position) {
			var item = el('div', {
				'class': 'jp-relatedposts-post jp-relatedposts-post' + position + ' jp-relatedposts-post-thumbs',
				'data-post-id': String(post.id)
			});
			var attrs = { 'class': 'jp-relatedposts-post-a', title: post.title, rel: 'nofollow',
				'data-origin': String(origin), 'data-position': String(position) };
			var thumb = link(post.link, '', attrs);
			// lazyload.js swaps data-src in when the thumbnail nears the viewport
			thumb.appendChild(el('img', {
				'class': 'jp-relatedposts-post-img lazyload',
				src: 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
				'data-src': post.img.src,
				width: String(post.img.width),
				height: String(post.img.height),
				alt: post.title
			}));
			item.appendChild(thumb);
			var title = el('h4', { 'class': 'jp-relatedposts-post-title' });
			title.appendChild(link(post.link, post.title, attrs));
			item.appendChild(title);
			item.appendChild(el('p', { 'class': 'jp-relatedposts-post-excerpt' }, post.excerpt));
			item.appendChild(el('p', { 'class': 'jp-relatedposts-post-date' }, post.date_display));
			item.appendChild(el('p', { 'class': 'jp-relatedposts-post-context' }, post.context));
			items.appendChild(item);
		});
		box.appendChild(items);
		return box;
	}

	function footer(post) {
		var foot = el('footer', { 'class': 'entry-footer' });
		var cats = el('span', { 'class': 'cat-links' }, 'Posted in ');
		join(cats, post.categories.map(function (c) {
			return link(c.link, c.name, { rel: 'category tag' });
		}), ', ');
		var tags = el('span', { 'class': 'tags-links' }, 'Tagged ');
		join(tags, post.tags.map(function (t) {
			return link(t.link, t.name, { rel: 'tag' });
		}), ', ');
		foot.appendChild(cats);
		foot.appendChild(document.createTextNode(' '));
		foot.appendChild(tags);
		return foot;
	}

	function authorBox(author) {
		var box = el('div', { 'class': 'author-info vcard' });
		var pic = el('div', { 'class': 'author-avatar' });
		var img = el('img', {
			alt: '',
			'class': 'avatar avatar-96 photo',
			width: '96',
			height: '96',
			decoding: 'async'
		});
		img.src = author.avatar;
		img.srcset = author.avatar_2x + ' 2x';
		pic.appendChild(img);
		var text = el('div', { 'class': 'author-description' });
		var title = el('h2', { 'class': 'author-title' }, 'About ');
		title.appendChild(el('span', { 'class': 'author-name' }, author.name));
		text.appendChild(title);
		text.appendChild(el('p', { 'class': 'author-bio' }, author.bio));
		text.appendChild(link(author.link, 'View all posts by ' + author.name, { 'class': 'author-link', rel: 'author' }));
		box.appendChild(pic);
		box.appendChild(text);
		return box;
	}

	function schema(post) {
		var script = el('script', { type: 'application/ld+json', 'class': 'kn-app-schema' });
		var url = location.origin + post.link;
		script.textContent = JSON.stringify({
			'@context': 'https://schema.org',
			'@type': 'NewsArticle',
			'@id': url + '#article',
			mainEntityOfPage: url,
			headline: post.title.rendered,
			description: post.excerpt.rendered,
			datePublished: post.date,
			dateModified: post.modified,
			author: post.authors.map(function (a) {
				return { '@type': 'Person', name: a.name, url: location.origin + a.link };
			}),
			image: location.origin + post.featured_media.src,
			articleSection: post.categories.map(function (c) { return c.name; }),
			keywords: post.tags.map(function (t) { return t.name; }),
			wordCount: post.word_count,
			inLanguage: 'en-US',
			publisher: { '@type': 'Organization', name: siteName, url: location.origin + '/' }
		});
		document.head.appendChild(script);
	}

	function render(root, post) {
		var article = el('article', {
			id: 'post-' + post.id,
			'class': 'post-' + post.id + ' post type-post status-publish format-standard has-post-thumbnail hentry'
		});
		article.appendChild(header(post));
		article.appendChild(featured(post.featured_media));
		var content = el('div', { 'class': 'entry-content' });
		content.innerHTML = post.content.rendered;
		if (post['jetpack-related-posts'] && post['jetpack-related-posts'].length) {
			content.appendChild(relatedPosts(post['jetpack-related-posts'], post.id));
		}
		article.appendChild(content);
		article.appendChild(footer(post));
		root.appendChild(breadcrumb(post));
		root.appendChild(article);
		post.authors.forEach(function (a) {
			root.appendChild(authorBox(a));
		});
		root.setAttribute('aria-busy', 'false');
		root.setAttribute('data-rendered', 'true');
		document.title = post.title.rendered + ' - ' + siteName;
		var description = document.querySelector('meta[name="description"]');
		if (description) {
			description.setAttribute('content', post.excerpt.rendered);
		}
		schema(post);
	}

	function start() {
		var root = document.getElementById('kn-app-article');
		if (!root || !window.fetch) {
			return;
		}
		fetch(rest + 'posts/' + root.getAttribute('data-post-id') + '.json', {
			credentials: 'same-origin',
			headers: { Accept: 'application/json' }
		}).then(function (response) {
			if (!response.ok) {
				throw new Error('HTTP ' + response.status);
			}
			return response.json();
		}).then(function (post) {
			render(root, post);
		}).catch(function () {
			root.setAttribute('aria-busy', 'false');
			root.appendChild(el('p', { 'class': 'kn-app-error' }, 'This article could not be loaded.'));
		});
	}

	if (document.readyState === 'loading') {
		document.addEventListener('DOMContentLoaded', start);
	} else {
		start();
	}
}());
