/**
 * KN News live blog: older updates load as the reader scrolls.
 *
 * The page prints the newest updates in #kn-live-updates. When the reader scrolls to within
 * 300px of the bottom of the page (or presses "Load older updates"), the next page of updates
 * is fetched with XMLHttpRequest from {restBase}live/{slug}/page-{n}.json and appended. Each page
 * says whether there is another one; when it says no, loading stops.
 */
(function () {
	'use strict';

	var cfg = window.knLive || {};
	var rest = cfg.restBase || '/wp-json/kn/v1/';
	var list = document.getElementById('kn-live-updates');
	if (!list) {
		return;
	}
	var base = rest + 'live/' + list.getAttribute('data-live-slug') + '/';
	var next = parseInt(list.getAttribute('data-next-page'), 10) || 2;
	var button = document.getElementById('kn-live-more');
	var status = document.getElementById('kn-live-status');
	var loading = false;
	var finished = false;

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

	function render(item) {
		var article = el('article', {
			id: 'update-' + item.id,
			'class': 'kn-live-item',
			'data-update': String(item.id)
		});
		var header = el('header', { 'class': 'kn-live-item-header' });
		header.appendChild(el('time', { 'class': 'kn-live-time', datetime: item.date }, item.time_display));
		header.appendChild(el('h2', { 'class': 'kn-live-item-title' }, item.title));
		article.appendChild(header);
		if (item.image) {
			var figure = el('figure', { 'class': 'kn-live-item-image' });
			var img = el('img', {
				width: String(item.image.width),
				height: String(item.image.height),
				alt: item.image.alt,
				decoding: 'async'
			});
			img.src = item.image.src;
			figure.appendChild(img);
			article.appendChild(figure);
		}
		var content = el('div', { 'class': 'kn-live-item-content' });
		content.innerHTML = item.content.rendered;
		article.appendChild(content);
		return article;
	}

	function stop(message) {
		finished = true;
		window.removeEventListener('scroll', onScroll);
		if (button) {
			button.hidden = true;
		}
		if (status) {
			status.textContent = message;
		}
		list.setAttribute('data-complete', 'true');
	}

	function load() {
		if (loading || finished) {
			return;
		}
		loading = true;
		list.setAttribute('aria-busy', 'true');
		if (status) {
			status.textContent = 'Loading older updates\u2026';
		}
		var xhr = new XMLHttpRequest();
		xhr.open('GET', base + 'page-' + next + '.json');
		xhr.setRequestHeader('Accept', 'application/json');
		xhr.onload = function () {
			loading = false;
			list.setAttribute('aria-busy', 'false');
			if (xhr.status !== 200) {
				stop('Older updates could not be loaded.');
				return;
			}
			var data = JSON.parse(xhr.responseText);
			data.items.forEach(function (item) {
				list.appendChild(render(item));
			});
			list.setAttribute('data-loaded-page', String(data.page));
			if (data.has_more && data.next_page) {
				next = data.next_page;
				if (status) {
					status.textContent = '';
				}
			} else {
				stop('You have reached the first update of this live blog.');
			}
		};
		xhr.onerror = function () {
			loading = false;
			stop('Older updates could not be loaded.');
		};
		xhr.send();
	}

	function nearBottom() {
		var doc = document.documentElement;
		var scrolled = window.pageYOffset || doc.scrollTop;
		return scrolled + window.innerHeight >= doc.scrollHeight - 300;
	}

	function onScroll() {
		if (nearBottom()) {
			load();
		}
	}

	window.addEventListener('scroll', onScroll, { passive: true });
	if (button) {
		button.hidden = false;
		button.addEventListener('click', load);
	}
}());
