"""The staging folder a bag is built in, and removing the ones a killed run left behind.

A bag is assembled in ``.NAME.partial-NONCE`` beside its target.  The folder holds a marker,
:data:`MARKER`, naming the process that made it (pid, boot id, host name, user) and the nonce.
A run stopped by an exception or Ctrl-C/SIGTERM removes its own folder; one killed outright
(SIGKILL, a power cut) cannot, so the next run for the same target removes every staging folder
it can *prove* is a dead archiver run's: the marker is a regular file written by archiver for
this very folder (same nonce), on this host, by this user, and its process is gone (another
boot, or no such pid).  A folder without that proof is kept, and logged.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import stat
import uuid
from pathlib import Path
from typing import Any

from archiver.bag.tagread import Refusal, read_small

__all__ = ["MARKER", "make_staging", "release_staging", "remove_stale_staging"]

log = logging.getLogger(__name__)

MARKER = ".archiver-staging.json"
_TOOL = "archiver-bag-staging/1"


def _boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def _prefix(target_name: str) -> str:
    return f".{target_name}.partial-"


def make_staging(parent: Path, target_name: str) -> Path:
    """Create a new staging folder for ``target_name`` in ``parent``, with its marker."""
    nonce = uuid.uuid4().hex
    staging = parent / f"{_prefix(target_name)}{nonce[:8]}"
    staging.mkdir()
    marker = {
        "tool": _TOOL,
        "nonce": nonce,
        "pid": os.getpid(),
        "boot_id": _boot_id(),
        "host": socket.gethostname(),
        "uid": os.getuid(),
    }
    with open(staging / MARKER, "x", encoding="utf-8") as fh:
        json.dump(marker, fh)
    return staging


def release_staging(staging: Path) -> None:
    """Remove the marker just before the folder becomes the bag (or is serialised)."""
    (staging / MARKER).unlink()


def _process_gone(marker: dict[str, Any]) -> bool:
    boot = _boot_id()
    if boot is not None and marker.get("boot_id") not in (None, boot):
        return True  # made before this boot: its process cannot be running
    pid = marker.get("pid")
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's): not ours to judge
        return False
    return False


def _proof(folder: Path) -> str | None:
    """Why ``folder`` is a dead archiver run's staging folder, or None if that is not proven."""
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return None
    data = read_small(folder / MARKER, 4096)
    if isinstance(data, Refusal):
        return None
    try:
        marker = json.loads(data)
    except ValueError:
        return None
    if not isinstance(marker, dict) or marker.get("tool") != _TOOL:
        return None
    nonce = marker.get("nonce")
    if not isinstance(nonce, str) or not folder.name.endswith(f"-{nonce[:8]}"):
        return None
    if marker.get("host") != socket.gethostname() or marker.get("uid") != os.getuid():
        return None
    if not _process_gone(marker):
        return None
    return f"left by archiver process {marker.get('pid')}, which is no longer running"


def remove_stale_staging(parent: Path, target_name: str) -> list[Path]:
    """Remove the staging folders for ``target_name`` that killed runs left; return them."""
    removed: list[Path] = []
    try:
        candidates = sorted(p for p in parent.iterdir() if p.name.startswith(_prefix(target_name)))
    except OSError:
        return removed
    for folder in candidates:
        reason = _proof(folder)
        if reason is None:
            log.info("%s: kept: not proven to be a dead archiver run's staging folder", folder)
            continue
        log.warning("%s: removing a stale staging folder (%s)", folder, reason)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
