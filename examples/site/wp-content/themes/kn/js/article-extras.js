/**
 * KN News article extras: reader comments from the REST API, video embeds, the appeal banner
 * and the headline web font. Paths come from the knLive object printed in <head>.
 *
 * - Comments: GET {restBase}comments/{postId}.json, rendered into #kn-comment-list.
 * - Videos: every [data-kn-video] box gets an <iframe> of /embed/video/{id}/.
 * - After the load event: the web-font style sheet is added to <head> and the appeal banner
 *   into #kn-appeal-slot.
 */
(function () {
	'use strict';

	var cfg = window.knLive || {};
	var theme = cfg.themeUrl || '/wp-content/themes/kn';
	var uploads = cfg.uploadsUrl || '/wp-content/uploads/';
	var rest = cfg.restBase || '/wp-json/kn/v1/';

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

	// -- video embeds -------------------------------------------------------------------------

	function addVideos() {
		var boxes = document.querySelectorAll('[data-kn-video]');
		Array.prototype.forEach.call(boxes, function (box) {
			var id = box.getAttribute('data-kn-video');
			var frame = el('iframe', {
				title: box.getAttribute('data-title') || 'Video',
				width: '640',
				height: '360',
				allow: 'fullscreen; picture-in-picture',
				referrerpolicy: 'strict-origin-when-cross-origin'
			});
			frame.src = '/' + 'embed' + '/video/' + encodeURIComponent(id) + '/';
			box.appendChild(frame);
			box.classList.add('is-loaded');
		});
	}

	// -- comments ------------------------------------------------------------------------------

	function commentItem(comment, children, depth, index) {
		var parity = index % 2 === 0 ? 'even' : 'odd';
		var li = el('li', {
			id: 'comment-' + comment.id,
			'class': 'comment ' + parity + ' thread-' + parity + ' depth-' + depth +
				(children[comment.id] ? ' parent' : '')
		});
		var body = el('article', { id: 'div-comment-' + comment.id, 'class': 'comment-body' });
		var meta = el('footer', { 'class': 'comment-meta' });
		var author = el('div', { 'class': 'comment-author vcard' });
		var avatars = comment.author_avatar_urls || {};
		var avatar = el('img', {
			alt: '',
			'class': 'avatar avatar-56 photo',
			width: '56',
			height: '56',
			loading: 'lazy',
			decoding: 'async'
		});
		avatar.src = avatars['56'];
		if (avatars['112']) {
			avatar.srcset = avatars['112'] + ' 2x';
		}
		author.appendChild(avatar);
		author.appendChild(document.createTextNode(' '));
		author.appendChild(el('b', { 'class': 'fn' }, comment.author_name));
		author.appendChild(document.createTextNode(' '));
		author.appendChild(el('span', { 'class': 'says' }, 'says:'));
		var when = el('div', { 'class': 'comment-metadata' });
		var link = el('a', { href: comment.link });
		link.appendChild(el('time', { datetime: comment.date }, comment.date_display));
		when.appendChild(link);
		meta.appendChild(author);
		meta.appendChild(when);
		var content = el('div', { 'class': 'comment-content' });
		content.innerHTML = comment.content.rendered;
		body.appendChild(meta);
		body.appendChild(content);
		li.appendChild(body);
		var replies = children[comment.id];
		if (replies) {
			var ol = el('ol', { 'class': 'children' });
			replies.forEach(function (reply, i) {
				ol.appendChild(commentItem(reply, children, depth + 1, index + 1 + i));
			});
			li.appendChild(ol);
		}
		return li;
	}

	function renderComments(list, comments) {
		var children = {};
		var top = [];
		comments.forEach(function (comment) {
			if (comment.parent) {
				(children[comment.parent] = children[comment.parent] || []).push(comment);
			} else {
				top.push(comment);
			}
		});
		top.forEach(function (comment, i) {
			list.appendChild(commentItem(comment, children, 1, i));
		});
		var title = document.getElementById('kn-comments-title');
		if (title) {
			title.textContent = comments.length + ' thought' + (comments.length === 1 ? '' : 's') +
				' on \u201c' + title.getAttribute('data-post-title') + '\u201d';
			title.hidden = false;
		}
		var status = document.getElementById('kn-comments-status');
		if (status) {
			status.hidden = true;
		}
		list.setAttribute('aria-busy', 'false');
	}

	function loadComments() {
		var list = document.getElementById('kn-comment-list');
		if (!list || !window.fetch) {
			return;
		}
		var id = list.getAttribute('data-post-id') || cfg.postId;
		fetch(rest + 'comments/' + id + '.json', {
			credentials: 'same-origin',
			headers: { Accept: 'application/json' }
		}).then(function (response) {
			if (!response.ok) {
				throw new Error('HTTP ' + response.status);
			}
			return response.json();
		}).then(function (comments) {
			renderComments(list, comments);
		}).catch(function () {
			var status = document.getElementById('kn-comments-status');
			if (status) {
				status.textContent = 'Comments could not be loaded.';
			}
		});
	}

	// -- after load: web font and banner -------------------------------------------------------

	function addFonts() {
		var link = el('link', { rel: 'stylesheet', id: 'kn-live-fonts-css', media: 'all' });
		link.href = theme + '/css/' + ['live', 'fonts'].join('-') + '.css?ver=' + (cfg.ver || '1');
		document.head.appendChild(link);
	}

	function addBanner() {
		var slot = document.getElementById('kn-appeal-slot');
		if (!slot) {
			return;
		}
		var width = 728;
		var height = 90;
		var name = ['kn', 'appeal', 'banner'].join('-') + '-' + width + 'x' + height;
		var link = el('a', { href: '/support-us/', 'class': 'kn-appeal-link' });
		var img = el('img', {
			width: String(width),
			height: String(height),
			alt: 'Support independent journalism from Karen State',
			'class': 'kn-appeal-banner',
			decoding: 'async'
		});
		img.src = uploads + '2023' + '/' + '11' + '/' + name + '.jp' + 'g';
		link.appendChild(img);
		slot.appendChild(link);
		slot.hidden = false;
	}

	document.addEventListener('DOMContentLoaded', function () {
		addVideos();
		loadComments();
	});
	window.addEventListener('load', function () {
		addFonts();
		addBanner();
	});
}());
