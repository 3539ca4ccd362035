/**
 * KN News lazy loader for images. It understands the markup of the three lazy-loading plugins
 * the site has used over the years, so old posts keep working:
 *
 *   <img class="lazyload" data-src="…" data-srcset="…">          lazysizes
 *   <img data-lazy-src="…" data-lazy-srcset="…" data-lazy-sizes="…">  WP Rocket
 *   <img data-original="…">                                      jQuery Lazy Load
 *
 * An image gets its real source when it comes within 200px of the viewport
 * (IntersectionObserver); a browser without IntersectionObserver loads them all at once.
 * Images that scripts add to the page later are picked up too (MutationObserver).
 */
(function () {
	'use strict';

	var SELECTOR = 'img.lazyload[data-src], img[data-lazy-src], img[data-original]';

	function copy(img, from, to) {
		var value = img.getAttribute(from);
		if (value) {
			img.setAttribute(to, value);
		}
	}

	function reveal(img) {
		if (img.hasAttribute('data-lazy-src')) {
			copy(img, 'data-lazy-sizes', 'sizes');
			copy(img, 'data-lazy-srcset', 'srcset');
			copy(img, 'data-lazy-src', 'src');
			img.setAttribute('data-ll-status', 'loaded');
			img.classList.add('entered', 'lazyloaded');
		} else if (img.hasAttribute('data-original')) {
			copy(img, 'data-original', 'src');
			img.classList.add('lazy-loaded');
		} else {
			copy(img, 'data-sizes', 'sizes');
			copy(img, 'data-srcset', 'srcset');
			copy(img, 'data-src', 'src');
			img.classList.remove('lazyload');
			img.classList.add('lazyloaded');
		}
	}

	function find(root) {
		var images = Array.prototype.slice.call(root.querySelectorAll(SELECTOR));
		if (root.matches && root.matches(SELECTOR)) {
			images.unshift(root);
		}
		return images;
	}

	function start() {
		var watch;
		if ('IntersectionObserver' in window) {
			var observer = new IntersectionObserver(function (entries) {
				entries.forEach(function (entry) {
					if (entry.isIntersecting) {
						observer.unobserve(entry.target);
						reveal(entry.target);
					}
				});
			}, { rootMargin: '200px 0px' });
			watch = function (img) {
				observer.observe(img);
			};
		} else {
			watch = reveal;
		}
		find(document).forEach(watch);
		if ('MutationObserver' in window) {
			new MutationObserver(function (mutations) {
				mutations.forEach(function (mutation) {
					Array.prototype.forEach.call(mutation.addedNodes, function (node) {
						if (node.nodeType === 1) {
							find(node).forEach(watch);
						}
					});
				});
			}).observe(document.body, { childList: true, subtree: true });
		}
	}

	if (document.readyState === 'loading') {
		document.addEventListener('DOMContentLoaded', start);
	} else {
		start();
	}
}());
