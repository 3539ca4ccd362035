"""Builders of hostile bag folders (issue 12), each made in a test's tmp_path.

Every builder starts from :func:`plain_bag`, a small valid BagIt 1.0 bag written by hand (no
archiver code), and changes one thing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SECRET = "TOP-SECRET-7f3a the key to the cellar"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifests(root: Path) -> None:
    """(Re)write manifest-sha256.txt over data/ and tagmanifest-sha256.txt over the tag files."""
    payload = sorted(
        p
        for p in (root / "data").rglob("*")
        if p.is_file() and not p.is_symlink() and p.name.isascii()
    )
    (root / "manifest-sha256.txt").write_text(
        "".join(f"{_digest(p)}  {p.relative_to(root).as_posix()}\n" for p in payload)
    )
    tags = [root / n for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")]
    (root / "tagmanifest-sha256.txt").write_text(
        "".join(f"{_digest(p)}  {p.name}\n" for p in tags if p.is_file() and not p.is_symlink())
    )


def plain_bag(root: Path) -> Path:
    """A valid bag: two payload files, bagit.txt, bag-info.txt, manifest, tag manifest."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.txt").write_bytes(b"hello\n")
    (root / "data" / "b.txt").write_bytes(b"world\n")
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (root / "bag-info.txt").write_text("Payload-Oxum: 12.2\nSource-Organization: Tests\n")
    write_manifests(root)
    return root


def secret_file(tmp_path: Path) -> Path:
    """A file outside every bag whose first line must never be quoted."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\nsecond line\n")
    return secret


def tag_file_as_symlink(root: Path, name: str, target: Path) -> Path:
    """The valid bag with the tag file ``name`` replaced by a symbolic link to ``target``."""
    plain_bag(root)
    (root / name).unlink(missing_ok=True)
    (root / name).symlink_to(target)
    return root


def tag_file_as_fifo(root: Path, name: str) -> Path:
    """The valid bag with the tag file ``name`` replaced by a FIFO no one writes to."""
    plain_bag(root)
    (root / name).unlink(missing_ok=True)
    os.mkfifo(root / name)
    return root


def payload_fifo(root: Path) -> Path:
    """The valid bag plus a FIFO in the payload."""
    plain_bag(root)
    os.mkfifo(root / "data" / "pipe")
    return root


def long_manifest_path(root: Path, length: int) -> Path:
    """The valid bag whose manifest lists one more path of ``length`` characters."""
    plain_bag(root)
    with open(root / "manifest-sha256.txt", "a", encoding="utf-8") as fh:
        fh.write(f"{'0' * 64}  data/{'x' * length}\n")
    return root


def long_fetch_url(root: Path, length: int) -> Path:
    """The valid bag with a fetch.txt whose one URL is ``length`` characters and not a URL."""
    plain_bag(root)
    (root / "fetch.txt").write_text(f"{'u' * length} 10 data/c.txt\n")
    return root
