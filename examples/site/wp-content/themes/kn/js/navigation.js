/**
 * KN News theme behaviour: the mobile menu toggle, the breaking-news ticker and the cookie notice.
 * Settings come from the inline knSettings object the theme prints in <head>.
 */
(function () {
	'use strict';

	var settings = window.knSettings || {};

	function setupMenu() {
		var nav = document.getElementById('site-navigation');
		if (!nav) {
			return;
		}
		var button = nav.querySelector('.menu-toggle');
		if (!button) {
			return;
		}
		button.addEventListener('click', function () {
			var open = nav.classList.toggle('toggled');
			button.setAttribute('aria-expanded', open ? 'true' : 'false');
		});
	}

	function setupTicker() {
		var items = document.querySelectorAll('.kn-ticker-items li');
		if (items.length < 2) {
			return;
		}
		var current = 0;
		var interval = parseInt(settings.tickerInterval, 10) || 5000;
		for (var i = 1; i < items.length; i++) {
			items[i].hidden = true;
		}
		window.setInterval(function () {
			items[current].hidden = true;
			current = (current + 1) % items.length;
			items[current].hidden = false;
		}, interval);
	}

	function setupCookieNotice() {
		var notice = document.getElementById('cookie-notice');
		if (!notice || document.cookie.indexOf('cookie_notice_accepted=') !== -1) {
			return;
		}
		notice.classList.remove('cookie-notice-hidden');
		var days = parseInt(settings.cookieDays, 10) || 30;
		var accept = function (event) {
			event.preventDefault();
			var expires = new Date(Date.now() + days * 864e5).toUTCString();
			document.cookie = 'cookie_notice_accepted=true; expires=' + expires + '; path=/; SameSite=Lax';
			notice.classList.add('cookie-notice-hidden');
		};
		var buttons = notice.querySelectorAll('[data-cookie-set]');
		for (var i = 0; i < buttons.length; i++) {
			buttons[i].addEventListener('click', accept);
		}
	}

	document.addEventListener('DOMContentLoaded', function () {
		setupMenu();
		setupTicker();
		setupCookieNotice();
	});
}());
