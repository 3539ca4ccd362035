"""Streaming multi-algorithm hashing, digest strings, largest-first parallel scheduling."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.bag.tagfiles import decode_path, encode_path
from archiver.hashing import (
    LargestFirst,
    MultiHasher,
    copy_and_hash,
    decode_digest_value,
    hash_file,
    hash_files,
    normalize_algorithm,
    parse_warc_digest,
    run_largest_first,
)


def test_multi_hasher_matches_hashlib() -> None:
    data = os.urandom(300_000)
    hasher = MultiHasher(["SHA-512", "sha256", "md5"])
    for start in range(0, len(data), 7777):
        hasher.update(data[start : start + 7777])
    assert hasher.hexdigests() == {
        a: hashlib.new(a, data).hexdigest() for a in ("sha512", "sha256", "md5")
    }
    assert hasher.size == len(data)


def test_hash_file_one_read_feeds_consumer(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(os.urandom(1_000_000))
    seen = bytearray()
    result = hash_file(path, ["sha1"], consumer=seen.extend, block_size=4096)
    assert bytes(seen) == path.read_bytes()
    assert result.hexdigests["sha1"] == hashlib.sha1(seen).hexdigest()
    missing = hash_file(tmp_path / "nope", ["sha1"])
    assert missing.error and "cannot read" in missing.error


def test_copy_and_hash(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(os.urandom(700_000))
    os.utime(src, ns=(1_000_000_000, 2_000_000_000))
    result = copy_and_hash(src, tmp_path / "dst", ["sha256"], fsync=True)
    assert (tmp_path / "dst").read_bytes() == src.read_bytes()
    assert (tmp_path / "dst").stat().st_mtime_ns == 2_000_000_000
    assert result.hexdigests["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    with pytest.raises(FileExistsError):  # never overwrites
        copy_and_hash(src, tmp_path / "dst", ["sha256"])


def test_hash_files_parallel(tmp_path: Path) -> None:
    paths = []
    for i in range(30):
        p = tmp_path / f"f{i}"
        p.write_bytes(os.urandom(1000 * (i + 1)))
        paths.append(p)
    for pool in ("thread", "process"):
        results = {r.path: r for r in hash_files(paths, ["sha256"], workers=2, pool=pool)}  # type: ignore[arg-type]
        assert set(results) == set(paths)
        for p in paths:
            assert results[p].hexdigests["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()


def test_largest_first_balances_two_workers() -> None:
    """Sizes 8,1,1,1,1: the big job starts first on one worker, the small ones go to the other."""
    ran: dict[int, list[int]] = {}
    lock = threading.Lock()

    def job(size: int) -> int:
        with lock:
            ran.setdefault(threading.get_ident(), []).append(size)
        time.sleep(size / 100)
        return size

    sizes = [1, 1, 1, 1, 8]
    results = list(run_largest_first(job, [(s, s) for s in sizes], workers=2))
    assert sorted(results) == sorted(sizes)
    assert sorted(ran.values(), key=len) == [[8], [1, 1, 1, 1]]


def test_largest_first_starts_before_it_is_iterated_and_close_stops_it() -> None:
    started = threading.Event()
    release = threading.Event()

    def job(n: int) -> int:
        if n == 9:
            started.set()
            release.wait(5)
        return n

    with LargestFirst(job, [(n, n) for n in (1, 9, 3)], workers=2) as work:
        assert started.wait(5), "the largest job did not start before iteration"
        release.set()
        assert list(work) == [9, 3, 1]  # submission order: largest first

    ran: list[int] = []
    single = LargestFirst(ran.append, [(1, 1), (2, 2)], workers=1)
    assert ran == []  # one worker: nothing runs until the results are asked for
    list(single)
    assert ran == [2, 1]
    single.close()


def test_digest_strings() -> None:
    raw = hashlib.sha1(b"").digest()
    b32 = base64.b32encode(raw).decode()
    assert parse_warc_digest(f"sha1:{b32}") == ("sha1", raw)
    assert parse_warc_digest(f"SHA-1:{raw.hex()}") == ("sha1", raw)
    assert parse_warc_digest(f"sha1:{base64.b64encode(raw).decode()}") == ("sha1", raw)
    assert decode_digest_value(b32.rstrip("="), "sha1") == raw
    with pytest.raises(ValueError):
        parse_warc_digest("sha1:not-a-digest")
    with pytest.raises(ValueError):
        parse_warc_digest("md99:abcd")
    with pytest.raises(ValueError):
        parse_warc_digest("no colon")
    assert normalize_algorithm("SHA-256") == "sha256"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_manifest_path_encoding_round_trips(name: str) -> None:
    assert decode_path(encode_path(name)) == name
    assert "\n" not in encode_path(name) and "\r" not in encode_path(name)


def test_large_files_hash_their_costliest_algorithm_in_a_companion_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archiver.hashing as hashing

    monkeypatch.setattr(hashing, "SPLIT_SIZE", 1000)
    data = os.urandom(2_000_000)
    src = tmp_path / "big"
    src.write_bytes(data)
    expected = {a: hashlib.new(a, data).hexdigest() for a in ("sha512", "sha256", "md5")}
    before = threading.active_count()
    assert hash_file(src, ["sha512", "sha256", "md5"], block_size=65536).hexdigests == expected
    copied = copy_and_hash(src, tmp_path / "copy", ["sha512", "sha256", "md5"], block_size=65536)
    assert copied.hexdigests == expected
    assert (tmp_path / "copy").read_bytes() == data
    with pytest.raises(FileExistsError):
        copy_and_hash(src, tmp_path / "copy", ["sha512", "sha256"])
    assert threading.active_count() == before  # every companion thread was joined
    split = MultiHasher(["sha256", "sha512"], split=True)
    split.update(b"abc")
    assert split.digests()["sha512"] == hashlib.sha512(b"abc").digest()
