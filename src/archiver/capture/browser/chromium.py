"""Finding the system's Chromium, the switches it runs with, and reaping what a killed run left.

archiver never downloads a browser: it uses the one the system has (Debian's ``chromium``
package, found on PATH) or the executable the user names.  Every Chromium a capture starts
carries a switch naming its collection (``--archiver-capture=<id>``, which Chromium ignores),
so that the next run on the same collection, holding its write lock, can find and kill any
process a killed run left behind, and only those.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
from pathlib import Path

from archiver.errors import BrowserError

__all__ = ["browser_args", "capture_tag", "find_chromium", "reap"]

log = logging.getLogger(__name__)

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_INSTALL_HINT = (
    "install it (Debian/Ubuntu: 'sudo apt-get install chromium'; Fedora: 'sudo dnf install "
    "chromium') or name the executable with --chromium PATH (ARCHIVER_CHROMIUM)"
)
_TAG = "--archiver-capture="


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable to run: ``explicit``, ``$ARCHIVER_CHROMIUM``, or one on PATH.

    Raises :class:`BrowserError` saying how to install one when there is none.
    """
    for given in (explicit, os.environ.get("ARCHIVER_CHROMIUM")):
        if not given:
            continue
        found = shutil.which(given)
        if found is None:
            raise BrowserError(f"Chromium executable not found or not executable: {given}")
        return found
    for name in _NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise BrowserError(f"no Chromium found on PATH ({', '.join(_NAMES)}): {_INSTALL_HINT}")


def capture_tag(collection: Path) -> str:
    """The switch that marks the Chromium processes of captures into ``collection``."""
    digest = hashlib.sha256(str(collection.resolve()).encode("utf-8")).hexdigest()[:20]
    return f"{_TAG}{digest}"


def browser_args(*, proxy_port: int, spki: str, tag: str, width: int, height: int) -> list[str]:
    """Chromium's switches for a capture through the recording proxy on ``proxy_port``.

    - Every request goes to the proxy, loopback included (Chromium bypasses the proxy for
      loopback unless told not to), and nothing is sent over QUIC, which a proxy cannot see.
    - TLS certificate errors are ignored only for certificates made with the run's own key
      (``spki``, the base64 SHA-256 of its SubjectPublicKeyInfo): the proxy's.
    - As little background traffic of Chromium's own as switches allow (updates, sync, safe
      browsing, metrics).
    """
    return [
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",
        f"--ignore-certificate-errors-spki-list={spki}",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--metrics-recording-only",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-pings",
        "--mute-audio",
        "--hide-scrollbars",
        "--disable-dev-shm-usage",
        # No --disable-features here: Chromium keeps only the last one given, and Playwright
        # gives its own (HttpsUpgrades among them).  What background traffic is left (sign-in,
        # autofill, extension updates) reaches the proxy without the pages' User-Agent, and
        # the proxy refuses it.
        f"--window-size={width},{height}",
        tag,
    ]


def _processes_with(tag: str) -> list[int]:
    """PIDs whose command line carries ``tag`` (Linux ``/proc``; nothing elsewhere)."""
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    needle = tag.encode("utf-8")
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap(tag: str) -> int:
    """Kill every process carrying ``tag``, with its process group; return how many."""
    pids = _processes_with(tag)
    for pid in pids:
        try:
            pgid = os.getpgid(pid)
            if pgid == pid:  # the browser leads its own group (renderers, GPU, utilities)
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
        log.warning("killed Chromium process %d left by an earlier run (%s)", pid, tag)
    return len(pids)
