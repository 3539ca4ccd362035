"""Hostile serialised bags, written in a test's tmp_path (each file small), and a bounded runner.

Every archive holds one top-level folder ``bag`` with bagit.txt, bag-info.txt (Payload-Oxum as
given) and manifest-sha256.txt, plus the hostile part:

* :func:`sparse_tar` - a GNU sparse member whose header declares 10 GiB (a few KB on disk);
* :func:`zip_declaring` - a zip whose central directory (ZIP64) declares 10 GiB for a member
  that inflates to 64 MiB of zeros from 64 KB;
* :func:`zip_longer_than_declared` - a member declaring 1,000 bytes that inflates to 1 MiB;
* :func:`many_entries_tar_gz` - 200,000 empty payload files, a valid bag.

:func:`run_verify` runs ``archiver verify`` in a child under RLIMIT_AS (memory), RLIMIT_FSIZE
(no file may grow past 1 MiB) and RLIMIT_CPU, with TMPDIR pointing at a folder of the test's.
"""

from __future__ import annotations

import hashlib
import io
import os
import resource
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def tag_files(oxum: str | None, manifest: dict[str, str]) -> dict[str, bytes]:
    lines = "".join(f"{digest}  {path}\n" for path, digest in manifest.items())
    info = f"Payload-Oxum: {oxum}\n" if oxum else "Source-Organization: nobody\n"
    return {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": info.encode(),
        "manifest-sha256.txt": lines.encode(),
    }


def _member(name: str, data: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.GNU_FORMAT) + data + b"\0" * (-len(data) % 512)


def _dir(name: str) -> bytes:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info.tobuf(tarfile.GNU_FORMAT)


def sparse_header(name: str, real_size: int, stored: int) -> bytes:
    """A GNU old-style sparse header ('S'): ``stored`` bytes of data at the end of a file of
    ``real_size`` bytes, the rest a hole."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.GNUTYPE_SPARSE
    info.size = stored
    buf = bytearray(info.tobuf(tarfile.GNU_FORMAT))
    assert len(buf) == 512
    buf[386:398] = tarfile.itn(real_size - stored, 12, tarfile.GNU_FORMAT)
    buf[398:410] = tarfile.itn(stored, 12, tarfile.GNU_FORMAT)
    buf[482] = 0  # no extended sparse headers
    buf[483:495] = tarfile.itn(real_size, 12, tarfile.GNU_FORMAT)
    buf[148:156] = b" " * 8
    buf[148:155] = b"%06o\0" % tarfile.calc_chksums(bytes(buf))[0]
    return bytes(buf)


def sparse_tar(path: Path, *, real_size: int = 10 * GIB, oxum: str | None = "512.1") -> Path:
    """``data/big``: 512 bytes of ``x`` at the end of ``real_size`` bytes; the manifest holds the
    digest of the expanded file when it is small enough to compute here."""
    data = b"x" * 512
    expanded = hashlib.sha256(data)
    if real_size <= 64 * 1024 * 1024:
        expanded = hashlib.sha256(bytes(real_size - len(data)) + data)
    tags = tag_files(oxum, {"data/big": expanded.hexdigest()})
    parts = [_dir("bag/")] + [_member(f"bag/{n}", d) for n, d in tags.items()]
    parts += [_dir("bag/data/"), sparse_header("bag/data/big", real_size, len(data)), data]
    path.write_bytes(b"".join(parts) + b"\0" * 1024)
    return path


def _zip(path: Path, members: list[tuple[str, bytes, int, int]], tags: dict[str, bytes]) -> Path:
    """A zip written by hand: ``(name, deflated data, crc, declared size)``; ZIP64 fields when a
    declared size needs them.  Tag files are stored as they are."""
    out = io.BytesIO()
    central = []
    entries = [(f"bag/{n}", d, zlib.crc32(d), len(d), 0) for n, d in tags.items()] + [
        (n, d, crc, size, 8) for n, d, crc, size in members
    ]
    for name, data, crc, size, method in entries:
        raw = name.encode()
        big = size >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
        small_size = 0xFFFFFFFF if big else size
        small_comp = 0xFFFFFFFF if big else len(data)
        offset = out.tell()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45, 0, method, 0, 0x21, crc,
                              small_comp, small_size, len(raw), len(extra)))  # fmt: skip
        out.write(raw + extra + data)
        header = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 45 | 3 << 8, 45, 0, method,
                             0, 0x21, crc, small_comp, small_size, len(raw), len(extra), 0, 0, 0,
                             0o100644 << 16, offset)  # fmt: skip
        central.append(header + raw + extra)
    start = out.tell()
    out.write(b"".join(central))
    size = out.tell() - start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), size,
                          start, 0))  # fmt: skip
    path.write_bytes(out.getvalue())
    return path


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def zip_declaring(path: Path, *, declared: int = 10 * GIB, oxum: str = "1000.1") -> Path:
    zeros = bytes(64 * 1024 * 1024)
    tags = tag_files(oxum, {"data/big": hashlib.sha256(zeros).hexdigest()})
    return _zip(path, [("bag/data/big", _deflate(zeros), zlib.crc32(zeros), declared)], tags)


def zip_longer_than_declared(path: Path) -> Path:
    data = b"abcdefgh" * (128 * 1024)  # 1 MiB
    tags = tag_files("1000.1", {"data/x.txt": hashlib.sha256(data[:1000]).hexdigest()})
    return _zip(path, [("bag/data/x.txt", _deflate(data), zlib.crc32(data), 1000)], tags)


def many_entries_tar_gz(path: Path, count: int = 200_000) -> Path:
    names = [f"data/e{i:06d}" for i in range(count)]
    tags = tag_files(f"0.{count}", dict.fromkeys(names, EMPTY_SHA256))
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        for name, data in tags.items():
            info = tarfile.TarInfo(f"bag/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name in names:
            tf.addfile(tarfile.TarInfo(f"bag/{name}"))
            tf.members.clear()  # type: ignore[attr-defined]
    return path


def run_verify(
    archive: Path,
    tmpdir: Path,
    *,
    memory_bytes: int = 512 * 1024 * 1024,
    cpu_seconds: int = 120,
) -> subprocess.CompletedProcess[str]:
    """``archiver verify --no-history --json ARCHIVE`` in a child: at most ``memory_bytes`` of
    address space, no file written past 1 MiB (SIGXFSZ), TMPDIR=``tmpdir``."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))

    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(ROOT / "src")}
    env.pop("ARCHIVER_SHA512_LANES", None)
    return subprocess.run(
        [sys.executable, "-m", "archiver", "verify", "--no-history", "--json", str(archive)],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        cwd=ROOT,
        env=env,
        timeout=cpu_seconds * 5,
    )
