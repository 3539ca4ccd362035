"""make_bag: layout, bag-info, manifests, source untouched, locking, staging, interop."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from pathlib import Path

import bagit
import bagit_profile
import pytest

from archiver import lanes as lanes_module
from archiver.bag import PROFILE_IDENTIFIER, BagSummary, load_profile, make_bag
from archiver.bag import build as build_module
from archiver.cli import main
from archiver.collection import Collection
from archiver.errors import BagError, BagExistsError, CollectionLockedError, UsageError
from tests.bag.helpers import make_collection, snapshot


def _manifest(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}


def test_layout_and_manifests(bag: BagSummary, collection: Collection) -> None:
    root = bag.path
    assert (root / "bagit.txt").read_text() == (
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )
    payload = sorted(
        p.relative_to(root).as_posix() for p in (root / "data").rglob("*") if p.is_file()
    )
    source = sorted(
        "data/karen-news/" + p.relative_to(collection.path).as_posix()
        for p in collection.path.rglob("*")
        if p.is_file() and p.name != ".lock"
    )
    assert payload == source
    assert "data/karen-news/.lock" not in payload
    for algo in ("sha512", "sha256"):
        manifest = _manifest(root / f"manifest-{algo}.txt")
        assert sorted(manifest) == payload
        for rel, digest in manifest.items():
            assert hashlib.new(algo, (root / rel).read_bytes()).hexdigest() == digest
        tags = _manifest(root / f"tagmanifest-{algo}.txt")
        assert sorted(tags) == [
            "bag-info.txt",
            "bagit.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
        ]
    assert bag.payload_files == len(payload)
    assert not list(root.parent.glob(".*partial*"))


def test_bag_info_fields(bag: BagSummary) -> None:
    info = dict(
        line.split(": ", 1) for line in (bag.path / "bag-info.txt").read_text().splitlines()
    )
    assert info["Source-Organization"] == "Karen News"
    assert info["Contact-Email"] == "archive@example.org"
    assert info["External-Identifier"] == "karen-news"
    assert info["External-Description"] == "Articles from an exile newsroom"
    assert info["Payload-Oxum"] == bag.payload_oxum
    assert info["BagIt-Profile-Identifier"] == PROFILE_IDENTIFIER
    assert info["Bag-Software-Agent"].startswith("archiver ")
    assert len(info["Bagging-Date"]) == 10


def test_bagit_python_and_bagit_profile_accept_the_bag(bag: BagSummary) -> None:
    loc_bag = bagit.Bag(str(bag.path))
    loc_bag.validate()  # raises BagValidationError on any problem
    assert loc_bag.version_info == (1, 0)
    profile = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=load_profile())
    assert profile.validate(loc_bag), profile.report
    assert profile.validate_serialization(str(bag.path))


def test_source_is_never_changed(collection: Collection, tmp_path: Path) -> None:
    before = snapshot(collection.path, skip=(".lock",))
    make_bag(collection, tmp_path / "b1")
    make_bag(collection.path, tmp_path / "b2", link="hardlink")
    assert snapshot(collection.path, skip=(".lock",)) == before


def test_hardlink_links_only_closed_warcs(collection: Collection, tmp_path: Path) -> None:
    summary = make_bag(collection, tmp_path / "bag", link="hardlink")
    data = summary.path / "data" / "karen-news"
    for warc in collection.warc_files():
        assert (data / "archive" / warc.name).stat().st_ino == warc.stat().st_ino
    assert (data / "catalog.sqlite").stat().st_ino != collection.catalog_path.stat().st_ino
    bagit.Bag(str(summary.path)).validate()


def test_refuses_existing_target(collection: Collection, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(BagExistsError):
        make_bag(collection, tmp_path / "taken")


def test_refuses_while_a_capture_holds_the_lock(collection: Collection, tmp_path: Path) -> None:
    with collection.write_lock(), pytest.raises(CollectionLockedError):
        make_bag(collection, tmp_path / "bag")
    assert not (tmp_path / "bag").exists()
    assert not list(tmp_path.glob(".bag.partial*"))


def test_refuses_unfinished_warc(collection: Collection, tmp_path: Path) -> None:
    (collection.archive_dir / "karen-news-00009.warc.gz.open").write_bytes(b"")
    with pytest.raises(BagError, match="unfinished"):
        make_bag(collection, tmp_path / "bag")
    assert not (tmp_path / "bag").exists()


def test_refuses_bag_inside_collection(collection: Collection) -> None:
    with pytest.raises(UsageError):
        make_bag(collection, collection.path / "bag")


def test_refuses_symlink_in_collection(collection: Collection, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("outside")
    os.symlink(tmp_path / "secret", collection.path / "pages" / "link")
    with pytest.raises(BagError, match="link"):
        make_bag(collection, tmp_path / "bag")


@pytest.mark.parametrize("lanes", ["0", "1"])
def test_crash_leaves_no_half_bag(
    collection: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lanes: str
) -> None:
    """A copy that fails part way (disk full) abandons the bag, on both hashing paths."""
    if lanes == "1" and not lanes_module.usable(("sha512",)):
        pytest.skip("no SHA-512 lanes on this machine")
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", lanes)
    monkeypatch.setattr(lanes_module, "_solo_jobs", lambda ordered, count: set())  # all in lanes
    calls = []
    real_copy = build_module.copy_and_hash
    real_read = lanes_module._Lane.read

    def failing_copy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "disk full")
        return real_copy(*args, **kwargs)  # type: ignore[arg-type]

    def failing_read(self: lanes_module._Lane) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "disk full")
        return real_read(self)

    monkeypatch.setattr(build_module, "copy_and_hash", failing_copy)
    monkeypatch.setattr(lanes_module, "copy_and_hash", failing_copy)  # files hashed alone
    monkeypatch.setattr(lanes_module._Lane, "read", failing_read)
    with pytest.raises(BagError, match="cannot copy: disk full"):
        make_bag(collection, tmp_path / "out" / "bag", workers=1)
    assert len(calls) >= 3
    assert list((tmp_path / "out").iterdir()) == []


def test_computed_fields_cannot_be_overridden(collection: Collection, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Payload-Oxum"):
        make_bag(collection, tmp_path / "bag", info={"Payload-Oxum": "1.1"})


def test_algorithms_and_multi_valued_info(collection: Collection, tmp_path: Path) -> None:
    summary = make_bag(
        collection,
        tmp_path / "bag",
        algorithms=("sha256", "md5"),
        info={"Contact-Name": ["A. Archivist", "B. Keeper"], "Internal-Sender-Identifier": "x-1"},
    )
    names = sorted(p.name for p in summary.path.glob("*manifest-*.txt"))
    assert names == [
        "manifest-md5.txt",
        "manifest-sha256.txt",
        "tagmanifest-md5.txt",
        "tagmanifest-sha256.txt",
    ]
    text = (summary.path / "bag-info.txt").read_text()
    assert "Contact-Name: A. Archivist\nContact-Name: B. Keeper\n" in text
    bagit.Bag(str(summary.path)).validate()


def test_many_files_balanced_across_workers(tmp_path: Path) -> None:
    col = make_collection(tmp_path / "big", warcs=1)
    for i in range(40):
        (col.path / "articles" / f"extra-{i}.bin").write_bytes(os.urandom(1000 * i))
    summary = make_bag(col, tmp_path / "bag", workers=2)
    assert summary.payload_files == 46
    bagit.Bag(str(summary.path)).validate()


def test_cli_bag(
    collection: Collection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "bag",
            str(collection.path),
            str(tmp_path / "cli-bag"),
            "--source-organization",
            "Karen News",
            "--info",
            "Internal-Sender-Description: nightly",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bag"] == str(tmp_path / "cli-bag")
    assert (
        "Internal-Sender-Description: nightly"
        in (tmp_path / "cli-bag" / "bag-info.txt").read_text()
    )
    assert main(["bag", str(collection.path), str(tmp_path / "cli-bag")]) == 2
    assert main(["bag", str(collection.path), str(tmp_path / "x"), "--info", "no colon"]) == 2


@pytest.mark.parametrize("lanes", ["0", "1"])
def test_a_failing_progress_callback_leaves_nothing_behind(
    collection: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lanes: str
) -> None:
    """The workers are stopped before the staging folder is removed, so none writes into it."""
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", lanes)

    def progress(size: int) -> None:
        raise KeyboardInterrupt

    before = set(threading.enumerate())
    with pytest.raises(KeyboardInterrupt):
        make_bag(collection, tmp_path / "out" / "bag", workers=2, progress=progress)
    assert list((tmp_path / "out").iterdir()) == []
    assert set(threading.enumerate()) - before == set()  # every worker of this call is done


@pytest.mark.parametrize("lanes", ["0", "1"])
def test_hardlink_across_file_systems_is_a_clear_error(
    collection: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lanes: str
) -> None:
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", lanes)

    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    with pytest.raises(BagError, match="same file system") as caught:
        make_bag(collection, tmp_path / "out" / "bag", link="hardlink")
    assert ".warc.gz" in str(caught.value)  # names the file
    assert list((tmp_path / "out").iterdir()) == []
