"""Bagging hardening (issue 12, findings 5a, 7 and 9): staging cleanup after SIGTERM and
SIGKILL, read-only collections and bags, names that are not UTF-8, file modes."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.bag import make_bag
from archiver.bag.staging import MARKER
from archiver.cli import main
from archiver.collection import Collection
from archiver.fixity import verify
from tests.bag.helpers import make_collection, snapshot


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


# -- staging: SIGTERM, SIGKILL, look-alikes ------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import contextlib, os, signal, sys
    import archiver.cli.bag as cli_bag
    from archiver.cli import main

    @contextlib.contextmanager
    def progress(label, total):
        def step(n):
            os.kill(os.getpid(), getattr(signal, sys.argv[3]))  # after the first file copied
        yield step

    cli_bag.byte_progress = progress
    sys.exit(main(["bag", sys.argv[1], sys.argv[2], "--workers", "1", "--no-fsync"]))
    """
)


def _bag_and_signal(
    collection: Path, target: Path, signal_name: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(collection), str(target), signal_name],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_sigterm_during_a_bag_leaves_nothing(tmp_path: Path) -> None:
    col = make_collection(tmp_path / "src" / "karen-news")
    before = snapshot(col.path)
    out = tmp_path / "out"
    out.mkdir()
    done = _bag_and_signal(col.path, out / "bag", "SIGTERM")
    assert done.returncode == 1, done.stderr
    assert "Interrupted" in done.stderr and "Traceback" not in done.stderr
    assert _beside(out) == []
    assert snapshot(col.path, skip=(".lock",)) == before


def test_a_stale_staging_folder_of_a_killed_bag_is_removed_by_the_next_run(tmp_path: Path) -> None:
    col = make_collection(tmp_path / "src" / "karen-news")
    out = tmp_path / "out"
    out.mkdir()
    killed = _bag_and_signal(col.path, out / "bag", "SIGKILL")
    assert killed.returncode == -9
    (stale,) = _beside(out)
    assert stale.startswith(".bag.partial-")
    summary = make_bag(col, out / "bag", fsync=False)
    assert _beside(out) == ["bag"]
    assert verify(summary.path).ok
    assert not (summary.path / MARKER).exists()


def _look_alike(out: Path, suffix: str, marker: dict[str, object] | None) -> Path:
    folder = out / f".bag.partial-{suffix}"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "precious.txt").write_text("not ours")
    if marker is not None:
        (folder / MARKER).write_text(json.dumps(marker))
    return folder


def test_a_look_alike_staging_folder_without_proof_is_kept(
    tmp_path: Path, collection: Collection
) -> None:
    import socket

    from archiver.bag.staging import _boot_id

    out = tmp_path / "out"
    out.mkdir()
    real = {
        "tool": "archiver-bag-staging/1",
        "pid": 1,  # alive
        "boot_id": _boot_id(),
        "host": socket.gethostname(),
        "uid": os.getuid(),
    }
    gone = 2**22 + 1  # above the default pid_max: no such process
    elsewhere = {**real, "pid": gone, "nonce": "87654321", "host": "elsewhere"}
    not_ours = {**real, "pid": gone, "nonce": "11112222", "tool": "other"}
    kept = [
        _look_alike(out, "deadbeef", None),  # no marker
        _look_alike(out, "0badcafe", {**real, "nonce": "0badcafe" + "0" * 24}),  # pid alive
        _look_alike(out, "12345678", {**real, "pid": gone, "nonce": "ffffffff"}),  # nonce
        _look_alike(out, "87654321", elsewhere),  # another host
        _look_alike(out, "11112222", not_ours),  # not archiver's marker
    ]
    link = out / ".bag.partial-33334444"
    link.symlink_to(kept[0])
    make_bag(collection, out / "bag", fsync=False)
    assert all((k / "data" / "precious.txt").read_text() == "not ours" for k in kept)
    assert link.is_symlink()
    # the same folder with a proven-dead owner goes
    dead = _look_alike(out, "55556666", {**real, "pid": gone, "nonce": "55556666"})
    make_bag(collection, out / "bag2", fsync=False)
    assert dead.exists()  # another target's name: not looked at
    make_bag(collection, out / "bag3", fsync=False)
    assert dead.exists()
    dead.rename(out / ".bag4.partial-55556666")
    make_bag(collection, out / "bag4", fsync=False)
    assert not (out / ".bag4.partial-55556666").exists()


# -- read-only collections and bags ------------------------------------------------------------


@pytest.fixture
def erofs_lock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Opening or creating a collection's .lock fails with EROFS (works as root, too)."""
    import archiver.collection as collection_module

    real_open = os.open
    refused: list[str] = []

    def fake_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(path).endswith(".lock"):
            refused.append(str(path))
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collection_module.os, "open", fake_open)
    yield refused


def test_bag_of_a_read_only_collection_works_without_a_lock(
    tmp_path: Path, erofs_lock: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    col = make_collection(tmp_path / "karen-news")
    (col.path / ".lock").unlink(missing_ok=True)
    before = snapshot(col.path)
    summary = make_bag(col, tmp_path / "bag", fsync=False)
    assert erofs_lock, "the lock file was not tried"
    assert verify(summary.path).ok
    assert snapshot(col.path) == before and not (col.path / ".lock").exists()
    assert "without a lock" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; see the EROFS test")
def test_bag_and_verify_of_chmod_read_only_folders(tmp_path: Path) -> None:
    col = make_collection(tmp_path / "karen-news")
    (col.path / ".lock").unlink(missing_ok=True)
    bag = tmp_path / "bags" / "bag"
    make_bag(col, tmp_path / "bags" / "first", fsync=False)
    folders = [p for p in [col.path, *col.path.rglob("*")] if p.is_dir()]
    bag_folders = [
        p
        for p in [tmp_path / "bags" / "first", *(tmp_path / "bags" / "first").rglob("*")]
        if p.is_dir()
    ]
    for folder in folders + bag_folders:
        folder.chmod(0o555)
    try:
        assert main(["bag", str(col.path), str(bag), "--no-fsync"]) == 0
        assert main(["verify", str(tmp_path / "bags" / "first"), "--no-history"]) == 0
    finally:
        for folder in folders + bag_folders:
            folder.chmod(0o755)


def test_verify_writes_nothing_inside_a_bag(tmp_path: Path, collection: Collection) -> None:
    """Every open for writing, mkdir, rename or removal under the bag is caught by an audit hook
    (root-capable: it does not rely on permissions)."""
    summary = make_bag(collection, tmp_path / "bag", fsync=False)
    root = str(summary.path.resolve())
    writes: list[tuple[str, str]] = []
    watching = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if not watching[0] or event not in {"open", "os.mkdir", "os.rename", "os.remove",
                                            "os.rmdir", "os.truncate", "os.chmod"}:  # fmt: skip
            return
        path = os.path.abspath(os.fsdecode(args[0])) if isinstance(args[0], (str, bytes)) else ""
        if not path.startswith(root):
            return
        if event == "open":
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if not writing:
                return
        writes.append((event, path))

    sys.addaudithook(hook)
    before = snapshot(summary.path)
    try:
        report = verify(summary.path, history=tmp_path / "history.sqlite")
    finally:
        watching[0] = False
    assert report.ok
    assert writes == []
    assert snapshot(summary.path) == before


# -- names that are not UTF-8 ------------------------------------------------------------------


def test_a_name_that_is_not_utf8_is_refused_before_copying(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    col = make_collection(tmp_path / "src" / "karen-news")
    bad = os.fsencode(col.path / "articles") + b"/caf\xe9.txt"
    with open(bad, "wb") as fh:
        fh.write(b"latin-1 name\n")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["bag", str(col.path), str(out / "bag"), "--no-fsync"]) == 2
    err = capsys.readouterr().err
    assert "caf\\xe9.txt" in err and "not UTF-8" in err
    assert _beside(out) == []


def test_verify_reports_a_payload_name_that_is_not_utf8(
    tmp_path: Path, collection: Collection, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = make_bag(collection, tmp_path / "bag", fsync=False)
    with open(os.fsencode(summary.path / "data") + b"/caf\xe9.txt", "wb") as fh:
        fh.write(b"x")
    assert main(["verify", str(summary.path), "--no-history", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    named = {(p["code"], p["path"]) for p in report["problems"]}
    assert ("name-not-utf8", "data/caf\\xe9.txt") in named
    assert ("file-unlisted", "data/caf\\xe9.txt") in named


# -- file modes ------------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path: Path) -> None:
    col = make_collection(tmp_path / "karen-news")
    assert _mode(col.path / "collection.json") == 0o644
    (col.path / "collection.json").chmod(0o640)
    col.update_metadata(description="changed")
    assert _mode(col.path / "collection.json") == 0o640
    for fmt in ("tar", "zip"):
        summary = make_bag(col, tmp_path / f"bag-{fmt}", serialize=fmt, fsync=False)  # type: ignore[arg-type]
        assert _mode(summary.path) == 0o644, fmt
