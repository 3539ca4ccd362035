"""Serialised bags are verified by streaming them: nothing unpacked, memory and disk bounded.

Hostile archives (tests/fixity/hostile_archives.py) are verified by ``archiver verify`` in a child
process under RLIMIT_AS and RLIMIT_FSIZE with TMPDIR set to an empty folder, which must stay
empty; good and damaged bags are verified in this process with every way to make a temporary
file or folder replaced by one that fails the test.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

from archiver.bag import BagSummary, serialize_bag
from archiver.cli import main
from archiver.errors import UnsafePathError
from archiver.fixity import flip_byte, report_to_json, verify
from tests.bag.test_serialize import HOSTILE_TARS, HOSTILE_ZIPS, _tar, _zip
from tests.fixity import hostile_archives as hostile


@pytest.fixture
def empty_tmpdir(tmp_path: Path) -> Path:
    folder = tmp_path / "TMPDIR"
    folder.mkdir()
    return folder


def _report(proc: Any) -> dict[str, Any]:
    assert proc.stdout, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _problems(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in report["problems"]}


def test_sparse_member_declaring_10_gib_is_not_expanded(tmp_path: Path, empty_tmpdir: Path) -> None:
    archive = hostile.sparse_tar(tmp_path / "sparse.tar")
    assert archive.stat().st_size < 100_000
    proc = hostile.run_verify(archive, empty_tmpdir)
    assert proc.returncode == 1, proc.stderr
    problems = _problems(_report(proc))
    assert problems["oxum-mismatch"]["actual"] == f"{10 * hostile.GIB}.1"
    message = problems["payload-not-read"]["message"]
    assert "sparse.tar" in message and "data/big" in message and "10737418240" in message
    assert list(empty_tmpdir.iterdir()) == []


def test_sparse_member_without_payload_oxum_is_not_expanded(
    tmp_path: Path, empty_tmpdir: Path
) -> None:
    archive = hostile.sparse_tar(tmp_path / "sparse.tar", oxum=None)
    proc = hostile.run_verify(archive, empty_tmpdir)
    assert proc.returncode == 1, proc.stderr
    problem = _problems(_report(proc))["file-unreadable"]
    assert problem["path"] == "data/big"
    assert "sparse.tar" in problem["message"] and "not expanded" in problem["message"]
    assert list(empty_tmpdir.iterdir()) == []


def test_sparse_member_that_payload_oxum_vouches_for_is_hashed(tmp_path: Path) -> None:
    size = 1024 * 1024
    archive = hostile.sparse_tar(tmp_path / "sparse.tar", real_size=size, oxum=f"{size}.1")
    report = verify(archive)
    assert report.ok, report.problems
    assert [(f.path, f.outcome) for f in report.files] == [("data/big", "ok")]


def test_zip_declaring_10_gib_is_not_read(tmp_path: Path, empty_tmpdir: Path) -> None:
    archive = hostile.zip_declaring(tmp_path / "declaring.zip")
    assert archive.stat().st_size < 100_000
    proc = hostile.run_verify(archive, empty_tmpdir)
    assert proc.returncode == 1, proc.stderr
    message = _problems(_report(proc))["payload-not-read"]["message"]
    assert "declaring.zip" in message and "data/big" in message and "10737418240" in message
    assert list(empty_tmpdir.iterdir()) == []


def test_zip_member_inflating_beyond_its_declared_size_is_stopped(
    tmp_path: Path, empty_tmpdir: Path
) -> None:
    archive = hostile.zip_longer_than_declared(tmp_path / "longer.zip")
    proc = hostile.run_verify(archive, empty_tmpdir, memory_bytes=256 * 1024 * 1024)
    assert proc.returncode == 1, proc.stderr
    report = _report(proc)
    problem = _problems(report)["file-unreadable"]
    assert problem["path"] == "data/x.txt"
    assert "longer.zip" in problem["message"] and "bag/data/x.txt" in problem["message"]
    assert report["payload"] == {"files": 1, "bytes": 1000}
    assert list(empty_tmpdir.iterdir()) == []


@pytest.mark.slow
def test_200000_entries_verify_in_bounded_memory(tmp_path: Path, empty_tmpdir: Path) -> None:
    archive = hostile.many_entries_tar_gz(tmp_path / "many.tar.gz")
    # tarfile's list of headers alone would take more than this (about 2.8 KB each)
    proc = hostile.run_verify(archive, empty_tmpdir, memory_bytes=768 * 1024 * 1024)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = _report(proc)
    assert report["ok"] and report["payload"] == {"files": 200_000, "bytes": 0}
    assert list(empty_tmpdir.iterdir()) == []


REFUSED = [("tar", case) for case in sorted(HOSTILE_TARS)] + [
    ("zip", case) for case in sorted(HOSTILE_ZIPS)
]


@pytest.mark.parametrize(("kind", "case"), REFUSED)
def test_refused_entries_name_the_archive_and_the_entry(
    tmp_path: Path, empty_tmpdir: Path, kind: str, case: str
) -> None:
    if kind == "tar":
        archive = _tar(tmp_path / f"{case}.tar", HOSTILE_TARS[case])
        stored = [info.name for info, _ in HOSTILE_TARS[case]]
    else:
        archive = _zip(tmp_path / f"{case}.zip", HOSTILE_ZIPS[case])
        stored = [name for name, _, _ in HOSTILE_ZIPS[case]]
    proc = hostile.run_verify(archive, empty_tmpdir, memory_bytes=256 * 1024 * 1024)
    assert proc.returncode == 2, proc.stderr
    assert str(archive) in proc.stderr
    assert any(f"archive entry {name!r}" in proc.stderr for name in stored), proc.stderr
    assert list(empty_tmpdir.iterdir()) == []


def test_duplicate_and_file_below_a_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dup = _tar(tmp_path / "dup.tar", [_member("bag/a"), _member("bag/a")])
    below = _tar(tmp_path / "below.tar", [_member("bag/a"), _member("bag/a/b")])
    for archive, entry, why in ((dup, "bag/a", "appears twice"), (below, "bag/a/b", "lies below")):
        assert main(["verify", str(archive), "--no-history"]) == 2
        err = capsys.readouterr().err
        assert f"{archive}: archive entry {entry!r}" in err and why in err
        with pytest.raises(UnsafePathError, match=why):
            verify(archive)


def _member(name: str) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), b"x"


def _verify_making_no_temp_files(archive: Path) -> Any:
    """verify(archive) with every way to make a temporary file or folder failing the test."""

    def forbidden(*args: object, **kwargs: object) -> Any:
        raise AssertionError("verify made a temporary file or folder")

    with pytest.MonkeyPatch.context() as patch:
        for name in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"):
            patch.setattr(tempfile, name, forbidden)
        return verify(archive)


def _comparable(report: Any) -> dict[str, Any]:
    out: dict[str, Any] = report_to_json(report)
    for key in ("bag", "started", "finished"):
        out.pop(key)
    return out


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_good_serialised_bag_gives_the_folders_report(
    bag: BagSummary, tmp_path: Path, fmt: str
) -> None:
    folder = verify(bag.path)
    archive = serialize_bag(bag.path, fmt, output=tmp_path / f"bag.{fmt}")  # type: ignore[arg-type]
    streamed = _verify_making_no_temp_files(archive)
    assert streamed.ok and streamed.warc_records > 0
    assert _comparable(streamed) == _comparable(folder)


@pytest.mark.broken_warcs
@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_damaged_warc_inside_an_archive_is_reported_to_the_file_and_record(
    bag: BagSummary, tmp_path: Path, fmt: str
) -> None:
    warc = sorted((bag.path / "data").rglob("*.warc.gz"))[0]
    flip_byte(warc, 300)  # inside the first record's gzip member; the size stays the same
    folder = verify(bag.path)
    archive = serialize_bag(bag.path, fmt, output=tmp_path / f"bag.{fmt}")  # type: ignore[arg-type]
    streamed = _verify_making_no_temp_files(archive)
    assert _comparable(streamed) == _comparable(folder)
    rel = warc.relative_to(bag.path).as_posix()
    codes = {(p.code, p.path) for p in streamed.errors}
    assert ("digest-mismatch", rel) in codes
    damaged = [p for p in streamed.errors if p.record is not None]
    assert damaged and all(p.path == rel and p.record.file == rel for p in damaged)  # type: ignore[union-attr]


def _long_line_bag(root: Path) -> Path:
    from tests.fixity import hostile_bags as hb

    bag = hb.long_manifest_path(root, 5000)  # the tag manifest no longer matches: both say so
    with open(bag / "manifest-sha256.txt", "a", encoding="ascii") as fh:
        fh.write("f" * 100_000 + "  data/a.txt\n")
    with open(bag / "bag-info.txt", "a", encoding="ascii") as fh:
        fh.write("Note: " + "x" * 70_000 + "\n")
    return bag


@pytest.mark.parametrize("fmt", ["tar", "zip"])
def test_tag_files_in_an_archive_are_read_with_the_folders_line_caps(
    tmp_path: Path, fmt: str
) -> None:
    """One line reader for both: tag-line-too-long and path-too-long, quoted short, alike."""
    bag = _long_line_bag(tmp_path / "bag")
    folder = verify(bag)
    codes = {(p.code, p.path) for p in folder.errors}
    assert ("tag-line-too-long", "manifest-sha256.txt") in codes
    assert ("tag-line-too-long", "bag-info.txt") in codes
    assert ("path-too-long", "manifest-sha256.txt") in codes
    archive = serialize_bag(bag, fmt, output=tmp_path / f"bag.{fmt}")  # type: ignore[arg-type]
    streamed = _verify_making_no_temp_files(archive)
    assert _comparable(streamed) == _comparable(folder)
    assert all(len(p.message) < 600 for p in streamed.problems)


def test_a_manifest_with_far_more_lines_than_the_archive_has_files_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.fixity import streamed as streamed_module
    from tests.fixity import hostile_bags as hb

    monkeypatch.setattr(streamed_module, "SPARE_LINES", 10)
    bag = hb.plain_bag(tmp_path / "bag")
    with open(bag / "manifest-sha256.txt", "a", encoding="ascii") as fh:
        fh.writelines(f"{'0' * 64}  data/missing-{i}\n" for i in range(100))
    archive = serialize_bag(bag, "tar", output=tmp_path / "bag.tar")
    report = verify(archive)
    (cut,) = [p for p in report.errors if p.code == "tag-file-too-large"]
    assert cut.path == "manifest-sha256.txt"
    missing = [p for p in report.errors if p.code == "file-missing"]
    assert 0 < len(missing) < 100
