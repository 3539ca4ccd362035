"""verify: damage found and named down to the WARC record, every problem reported, no writes."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import archiver
from archiver.bag import BagSummary, make_bag
from archiver.cli import main
from archiver.collection import Collection
from archiver.fixity import (
    damage_warc_record,
    flip_byte,
    format_report,
    premis_xml,
    report_to_json,
    verify,
)
from archiver.schema import validate
from tests.bag.helpers import snapshot

SHIPPED_PROFILE = Path(archiver.__file__).parent / "schemas" / "archiver-bagit-profile.json"
pytestmark = pytest.mark.broken_warcs  # several tests damage WARCs on purpose


def _warc(bag: BagSummary) -> Path:
    return sorted((bag.path / "data" / "karen-news" / "archive").glob("*.warc.gz"))[0]


def test_clean_bag_is_valid(bag: BagSummary, tmp_path: Path) -> None:
    report = verify(bag.path, history=tmp_path / "h.sqlite")
    assert report.ok, format_report(report)
    assert report.problems == ()
    assert report.algorithms == ("sha512", "sha256")
    assert report.warc_files == 2
    assert report.warc_records == 2 + 3 + 4  # warcinfo + responses in each file
    assert {f.outcome for f in report.files} == {"ok"}


def test_damaged_record_is_named(bag: BagSummary, tmp_path: Path) -> None:
    damaged = damage_warc_record(_warc(bag), target_uri="http://news.example/article-1")
    report = verify(bag.path)
    assert not report.ok
    rel = _warc(bag).relative_to(bag.path).as_posix()
    mismatches = {p.algorithm: p for p in report.errors if p.code == "digest-mismatch"}
    assert set(mismatches) == {"sha512", "sha256"}
    assert all(p.path == rel and p.expected and p.actual for p in mismatches.values())
    assert mismatches["sha256"].expected != mismatches["sha256"].actual
    block = [p for p in report.errors if p.code == "warc-block-digest"]
    assert len(block) == 1
    record = block[0].record
    assert record is not None
    assert (record.file, record.offset) == (rel, damaged.offset)
    assert record.record_id == damaged.record_id
    assert record.target_uri == "http://news.example/article-1"
    assert block[0].algorithm == "sha256" or block[0].algorithm == "sha1"
    assert block[0].expected != block[0].actual
    assert [r.target_uri for r in report.damaged_records] == ["http://news.example/article-1"]
    text = format_report(report)
    assert damaged.record_id is not None and damaged.record_id in text
    assert f"offset {damaged.offset}" in text
    # every problem is reported, not only the first (the size changed too)
    assert "oxum-mismatch" in {p.code for p in report.errors}


def test_raw_byte_flip_in_compressed_warc(bag: BagSummary) -> None:
    warc = _warc(bag)
    flip_byte(warc, warc.stat().st_size // 2)
    report = verify(bag.path)
    codes = {p.code for p in report.errors}
    assert "digest-mismatch" in codes
    assert codes & {"warc-block-digest", "warc-record-damaged", "warc-file-damaged"}
    assert report.damaged_records or any(p.code == "warc-file-damaged" for p in report.errors)
    assert "oxum-mismatch" not in codes  # a flip keeps the size


def test_verify_never_writes_inside_the_bag(bag: BagSummary, tmp_path: Path) -> None:
    before = snapshot(bag.path)
    dirs_before = sorted(p for p in bag.path.rglob("*"))
    verify(bag.path, history=tmp_path / "h.sqlite", profile=None)
    verify(bag.path, fast=True, history=tmp_path / "h.sqlite")
    assert snapshot(bag.path) == before
    assert sorted(p for p in bag.path.rglob("*")) == dirs_before


def test_fast_mode_says_no_digests(bag: BagSummary) -> None:
    damage_warc_record(_warc(bag))
    report = verify(bag.path, fast=True)
    assert report.fast
    assert "NO digests were checked" in format_report(report)
    assert {f.outcome for f in report.files} == {"present"}
    assert {p.code for p in report.errors} == {"oxum-mismatch"}
    assert report_to_json(report)["digests_checked"] is False


def test_missing_unlisted_and_tag_damage(bag: BagSummary) -> None:
    data = bag.path / "data" / "karen-news"
    (data / "pages" / "pages.jsonl").unlink()
    (data / "articles" / "stray.txt").write_text("not in any manifest")
    with open(bag.path / "bag-info.txt", "a") as fh:
        fh.write("Extra: changed after bagging\n")
    report = verify(bag.path)
    by_code: dict[str, set[str | None]] = {}
    for p in report.errors:
        by_code.setdefault(p.code, set()).add(p.path)
    assert by_code["file-missing"] == {"data/karen-news/pages/pages.jsonl"}
    assert by_code["file-unlisted"] == {"data/karen-news/articles/stray.txt"}
    assert by_code["digest-mismatch"] == {"bag-info.txt"}
    assert "oxum-mismatch" in by_code


def test_json_report_validates_against_schema(bag: BagSummary, tmp_path: Path) -> None:
    damage_warc_record(_warc(bag))
    report = verify(bag.path, history=tmp_path / "h.sqlite")
    document = report_to_json(report)
    assert validate(document, "fixity-report") == []
    assert document["ok"] is False
    assert document["warc"]["damaged_records"][0]["block_digest"]["outcome"] == "mismatch"


def test_premis_events(bag: BagSummary) -> None:
    damage_warc_record(_warc(bag))
    report = verify(bag.path)
    root = ET.fromstring(premis_xml(report))
    ns = {"p": "http://www.loc.gov/premis/v3"}
    events = root.findall("p:event", ns)
    assert len(events) == bag.payload_files + 4  # payload files and tag files
    outcomes = {
        e.findtext(
            "p:linkingObjectIdentifier/p:linkingObjectIdentifierValue", namespaces=ns
        ): e.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=ns)
        for e in events
    }
    rel = _warc(bag).relative_to(bag.path).as_posix()
    assert outcomes[rel] == "fail"
    assert list(outcomes.values()).count("fail") == 1
    assert {e.findtext("p:eventType", namespaces=ns) for e in events} == {"fixity check"}
    assert root.find("p:agent/p:agentType", ns) is not None


def test_history_reports_missing_new_moved_changed(bag: BagSummary, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    first = verify(bag.path, history=db)
    assert first.previous_run_id is None and first.run_id is not None
    data = bag.path / "data" / "karen-news"
    (data / "indexes" / "index.cdxj").unlink()  # deleted
    (data / "articles" / "new.jsonl").write_text('{"id": "new"}\n')  # added
    (data / "pages" / "pages.jsonl").rename(data / "pages" / "renamed.jsonl")  # renamed
    damage_warc_record(_warc(bag))  # changed
    second = verify(bag.path, history=db)
    assert second.previous_run_id == first.run_id
    kinds = {(c.change, c.path, c.previous_path) for c in second.changes if c.change != "confirmed"}
    assert kinds == {
        ("missing", "data/karen-news/indexes/index.cdxj", None),
        ("new", "data/karen-news/articles/new.jsonl", None),
        ("moved", "data/karen-news/pages/renamed.jsonl", "data/karen-news/pages/pages.jsonl"),
        ("changed", _warc(bag).relative_to(bag.path).as_posix(), None),
    }
    assert len(second.changes_of("confirmed")) == bag.payload_files - 3
    text = format_report(second)
    assert (
        "moved   data/karen-news/pages/pages.jsonl -> data/karen-news/pages/renamed.jsonl" in text
    )


def test_serialised_round_trips(collection: Collection, tmp_path: Path) -> None:
    for fmt in ("tar", "tar.gz", "zip"):
        summary = make_bag(collection, tmp_path / f"bag-{fmt.replace('.', '-')}", serialize=fmt)  # type: ignore[arg-type]
        assert summary.path.is_file() and summary.path.name.endswith(fmt)
        report = verify(
            summary.path,
            profile=SHIPPED_PROFILE,
        )
        assert report.ok, format_report(report)
        assert report.warc_records == 9


def test_profile_problems_are_errors(bag: BagSummary) -> None:
    (bag.path / "fetch.txt").write_text("")
    report = verify(
        bag.path,
        profile={
            "BagIt-Profile-Info": {"BagIt-Profile-Identifier": "x"},
            "Allow-Fetch.txt": False,
            "Accept-BagIt-Version": ["0.97"],
        },
    )
    messages = [p.message for p in report.errors if p.code == "profile"]
    assert any("fetch.txt" in m for m in messages)
    assert any("BagIt-Version 1.0" in m for m in messages)
    assert any("names profile" in m for m in messages)


def test_cli_verify_exit_codes_and_outputs(
    bag: BagSummary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.sqlite")
    assert main(["verify", str(bag.path), "--history", db, "--profile", "archiver"]) == 0
    assert "VALID" in capsys.readouterr().out
    broken = tmp_path / "broken"
    shutil.copytree(bag.path, broken)
    damage_warc_record(_warc(BagSummary(broken, 0, 0, (), 0.0)))
    premis = tmp_path / "events.xml"
    code = main(["verify", str(broken), "--history", db, "--json", "--premis", str(premis)])
    assert code == 1
    document = json.loads(capsys.readouterr().out)
    assert validate(document, "fixity-report") == []
    assert premis.is_file()
    assert main(["verify", str(tmp_path / "nope"), "--history", db]) == 2
    assert main(["verify", str(bag.path), "--history", db, "--no-history"]) == 2
    assert main(["verify", str(bag.path), "--fast", "--no-history"]) == 0
    assert "NO digests" in capsys.readouterr().out
    assert main(["verify", str(broken), "--no-history", "--processes", "--workers", "2"]) == 1
    assert "warc-block-digest" in capsys.readouterr().out


def test_cli_goes_on_after_a_bag_it_cannot_open(
    bag: BagSummary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile

    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("bag/../../evil.txt", "evil")
    code = main(["verify", str(hostile), str(bag.path), "--no-history"])
    captured = capsys.readouterr()
    assert code == 2
    assert "evil.txt" in captured.err and "nothing was extracted" in captured.err
    assert "VALID" in captured.out  # the second bag was still verified
    assert not (tmp_path.parent / "evil.txt").exists()


def _hand_made_bag(root: Path) -> None:
    import hashlib

    (root / "data").mkdir(parents=True)
    (root / "data" / "a.txt").write_bytes(b"hello\n")
    (root / "data" / "b.txt").write_bytes(b"world\n")
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")

    def digest(algo: str, rel: str) -> str:
        return hashlib.new(algo, (root / rel).read_bytes()).hexdigest()

    payload = ["data/a.txt", "data/b.txt"]
    (root / "manifest-sha256.txt").write_text(
        "".join(f"{digest('sha256', p)}  {p}\n" for p in payload)
    )
    # a tag manifest that (wrongly) lists a payload file too: hashed a second time, for md5
    tags = ["bagit.txt", "manifest-sha256.txt", "data/a.txt"]
    (root / "tagmanifest-md5.txt").write_text("".join(f"{digest('md5', p)}  {p}\n" for p in tags))


def test_a_payload_file_in_a_tag_manifest_is_checked_for_both(tmp_path: Path) -> None:
    _hand_made_bag(tmp_path / "bag")
    report = verify(tmp_path / "bag", workers=2)
    checked = {(f.path, f.algorithm, f.outcome) for f in report.files}
    assert ("data/a.txt", "sha256", "ok") in checked
    assert ("data/a.txt", "md5", "ok") in checked
    (tmp_path / "bag" / "data" / "a.txt").write_bytes(b"HELLO\n")
    damaged = verify(tmp_path / "bag", workers=2)
    assert {(p.path, p.algorithm) for p in damaged.errors if p.code == "digest-mismatch"} == {
        ("data/a.txt", "sha256"),
        ("data/a.txt", "md5"),
    }


@pytest.mark.parametrize("failing_read", [1, 2])
def test_a_read_that_fails_in_one_pass_reports_the_file_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_read: int
) -> None:
    import threading

    import archiver.fixity.checks as checks
    from archiver.hashing import FileDigests
    from archiver.hashing import hash_file as real_hash_file

    _hand_made_bag(tmp_path / "bag")
    reads: dict[str, int] = {}
    lock = threading.Lock()

    def flaky(path: Path, algorithms: tuple[str, ...], **kw: object) -> FileDigests:
        with lock:
            n = reads[str(path)] = reads.get(str(path), 0) + 1
        if str(path).endswith("a.txt") and n == failing_read:
            return FileDigests(Path(path), 0, {}, "cannot read: Input/output error")
        return real_hash_file(path, algorithms, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(checks, "hash_file", flaky)
    report = verify(tmp_path / "bag", workers=2)
    assert reads[str(tmp_path / "bag" / "data" / "a.txt")] == 2  # two passes, as intended
    assert not report.ok
    assert {(p.code, p.path) for p in report.errors} == {("file-unreadable", "data/a.txt")}


def test_a_payload_folder_that_cannot_be_listed_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os as real_os

    import archiver.fixity.inspection as checks

    _hand_made_bag(tmp_path / "bag")
    (tmp_path / "bag" / "data" / "sub").mkdir()
    real_scandir = real_os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(checks.os, "scandir", scandir)
    report = verify(tmp_path / "bag", workers=1)
    assert ("folder-unreadable", "data/sub") in {(p.code, p.path) for p in report.errors}


@pytest.mark.parametrize("target", ["loop", "a.txt/below-a-file", "missing"])
def test_a_symlink_that_leads_nowhere_is_reported_not_followed(tmp_path: Path, target: str) -> None:
    _hand_made_bag(tmp_path / "bag")
    (tmp_path / "bag" / "data" / "loop").symlink_to(target)
    report = verify(tmp_path / "bag", workers=2)
    assert ("symlink", "data/loop") in {(p.code, p.path) for p in report.errors}


def test_a_name_that_is_not_utf8_is_reported_escaped_everywhere(tmp_path: Path) -> None:
    import os

    _hand_made_bag(tmp_path / "bag")
    odd = os.fsencode(tmp_path / "bag" / "data") + b"/caf\xe9.txt"
    with open(odd, "wb") as fh:
        fh.write(b"x")
    report = verify(tmp_path / "bag", workers=2, history=tmp_path / "history.sqlite")
    named = {(p.code, p.path) for p in report.problems}
    assert ("name-not-utf8", "data/caf\\xe9.txt") in named
    assert ("file-unlisted", "data/caf\\xe9.txt") in named
    json.dumps(report_to_json(report), ensure_ascii=False).encode("utf-8")  # no lone surrogate
    assert all(f.path.isprintable() for f in report.files)


@pytest.mark.parametrize("encoding", ["base64", "rot13", "no-such-encoding"])
def test_a_tag_file_encoding_that_is_no_text_encoding_is_an_error(
    tmp_path: Path, encoding: str
) -> None:
    _hand_made_bag(tmp_path / "bag")
    (tmp_path / "bag" / "bagit.txt").write_text(
        f"BagIt-Version: 1.0\nTag-File-Character-Encoding: {encoding}\n"
    )
    report = verify(tmp_path / "bag", workers=1)
    assert "bagit-txt-encoding" in {p.code for p in report.errors}


def test_names_that_are_not_utf8_are_escaped_in_every_output(tmp_path: Path) -> None:
    import os

    _hand_made_bag(tmp_path / "bag")
    data = os.fsencode(tmp_path / "bag" / "data")
    os.symlink(b"nowhere", data + b"/link\xff")  # never in the payload
    with open(data + b"/._\xfd", "wb") as fh:  # a system file, named in a message
        fh.write(b"x")
    report = verify(tmp_path / "bag", workers=2, history=tmp_path / "history.sqlite")
    named = {(p.code, p.path) for p in report.problems}
    assert ("symlink", "data/link\\xff") in named
    assert ("system-file", "data/._\\xfd") in named
    assert ("name-not-utf8", "data/link\\xff") in named
    json.dumps(report_to_json(report), ensure_ascii=False).encode("utf-8")
    format_report(report).encode("utf-8")
    premis_xml(report)
