/**
 * KN Video embed player. The embed shows a poster with a play button; this offline copy of the
 * site has no video files, so pressing play shows a notice instead of starting playback.
 */
(function () {
	'use strict';

	document.addEventListener('DOMContentLoaded', function () {
		var player = document.querySelector('.kn-player');
		if (!player) {
			return;
		}
		var button = player.querySelector('.kn-player-play');
		var notice = player.querySelector('.kn-player-notice');
		player.classList.add('is-ready');
		if (button && notice) {
			button.addEventListener('click', function () {
				notice.hidden = false;
				button.setAttribute('aria-pressed', 'true');
			});
		}
	});
}());
