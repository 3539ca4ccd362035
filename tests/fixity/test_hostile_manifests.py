"""Hostile manifest and fetch.txt paths: refused with a clear error, never opened."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from archiver.bag import BagSummary
from archiver.fixity import verify

HOSTILE = [
    ("../secret.txt", "contains a '..' component"),
    ("data/../../secret.txt", "contains a '..' component"),
    ("/etc/hostname", "is an absolute path"),
    ("~/secret.txt", "starts with '~'"),
    ("~root/secret.txt", "starts with '~'"),
    ("data\\..\\..\\secret.txt", "backslash"),
    ("C:/Windows/secret.txt", "drive letter"),
]


def _append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


@pytest.mark.parametrize(("hostile", "reason"), HOSTILE)
def test_hostile_manifest_path_is_refused_unopened(
    bag: BagSummary, tmp_path: Path, hostile: str, reason: str
) -> None:
    secret = bag.path.parent / "secret.txt"
    secret.write_text("outside the bag")
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    _append(bag.path / "manifest-sha256.txt", f"{digest}  {hostile}")
    report = verify(bag.path)
    unsafe = [p for p in report.errors if p.code == "unsafe-path"]
    assert len(unsafe) == 1
    assert reason in unsafe[0].message and "not opened" in unsafe[0].message
    # never hashed: no file outcome names the hostile path
    assert all("secret" not in f.path for f in report.files)


@pytest.mark.parametrize(("hostile", "reason"), HOSTILE)
def test_hostile_tag_manifest_path_is_refused(bag: BagSummary, hostile: str, reason: str) -> None:
    _append(bag.path / "tagmanifest-sha512.txt", f"{'0' * 128}  {hostile}")
    report = verify(bag.path)
    assert [p.code for p in report.errors if reason in p.message] == ["unsafe-path"]


@pytest.mark.parametrize(("hostile", "reason"), [*HOSTILE, ("bag-info.txt", "outside the payload")])
def test_hostile_fetch_path_is_refused(bag: BagSummary, hostile: str, reason: str) -> None:
    (bag.path / "fetch.txt").write_text(f"https://example.org/x 10 {hostile}\n")
    report = verify(bag.path)
    refused = [p for p in report.errors if p.code == "fetch-unsafe-path"]
    assert len(refused) == 1 and reason in refused[0].message


def test_fetch_txt_form_errors(bag: BagSummary) -> None:
    (bag.path / "fetch.txt").write_text(
        "not-a-url 10 data/a\nhttps://example.org/b lots data/b\nonly-two fields\n"
    )
    codes = sorted(p.code for p in verify(bag.path).errors)
    assert codes == ["fetch-form", "fetch-form", "fetch-url"]


def test_symlink_in_payload_is_not_followed(bag: BagSummary, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("outside")
    (bag.path / "data" / "link.txt").symlink_to(tmp_path / "outside.txt")
    report = verify(bag.path)
    assert [p.path for p in report.errors if p.code == "symlink"] == ["data/link.txt"]
    assert all(f.path != "data/link.txt" for f in report.files)


def test_bagit_txt_rules(bag: BagSummary) -> None:
    (bag.path / "bagit.txt").write_bytes(
        b"\xef\xbb\xbfBagIt-Version : 1.0\nTag-File-Character-Encoding: KLINGON\n"
    )
    codes = {p.code for p in verify(bag.path).errors}
    assert {"bagit-txt-bom", "bagit-txt-version", "bagit-txt-encoding"} <= codes


def test_undecodable_tag_file(bag: BagSummary) -> None:
    (bag.path / "bag-info.txt").write_bytes(b"Contact-Name: \xff\xfe broken\n")
    assert "tag-file-encoding" in {p.code for p in verify(bag.path).errors}


def test_duplicate_entries_in_bagit_1_0_are_errors(bag: BagSummary) -> None:
    manifest = bag.path / "manifest-sha256.txt"
    first = manifest.read_text().splitlines()[0]
    _, path = first.split("  ", 1)
    _append(manifest, first)
    _append(manifest, f"{'f' * 64}  {path}")
    codes = [p.code for p in verify(bag.path).errors if p.path == path]
    assert "duplicate-entry" in codes and "duplicate-entry-conflict" in codes
