"""Interop harness: prove a WARC file is accepted by tools nobody here wrote.

Three independent readers, each run as its own console script from this virtualenv so that
nothing of theirs (pywb's gevent monkeypatching in particular) leaks into the test process:

* ``warcio check -v`` verifies every record's block and payload digests;
* ``cdxj-indexer`` indexes the records the way WACZ and pywb expect;
* pywb's ``wayback`` replays the captures over HTTP on 127.0.0.1.

Example::

    from tests.interop.tools import PywbReplay, assert_cdxj_indexes, assert_warcio_check

    assert_warcio_check([warc])
    assert_cdxj_indexes([warc], expect_urls=["http://example.com/"])
    with PywbReplay([warc]) as pywb:
        status, headers, body = pywb.get("http://example.com/", mode="id_")
"""

from __future__ import annotations

import contextlib
import email.message
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, NamedTuple

import pytest

__all__ = [
    "CdxjLine",
    "CheckResult",
    "IncompleteReplay",
    "PywbReplay",
    "RecordCheck",
    "ReplayResponse",
    "ToolError",
    "assert_cdxj_indexes",
    "assert_warcio_check",
    "cdxj_index",
    "console_script",
    "warcio_check",
]

StrPath = str | os.PathLike[str]

# Bounds for every subprocess, so a hung tool fails a test instead of hanging the suite.
TOOL_TIMEOUT = 120.0
PYWB_START_TIMEOUT = 30.0


class ToolError(RuntimeError):
    """A third-party tool could not be run at all (missing, crashed, did not start)."""


class IncompleteReplay(ToolError):
    """pywb closed the connection before sending the body its headers announced.

    It happens on replay of a truncated record (``WARC-Truncated``) that kept the original
    ``Content-Length`` header: pywb passes that header on in ``id_`` mode but has fewer bytes.
    """

    def __init__(self, url: str, partial: bytes, expected: int | None) -> None:
        super().__init__(f"pywb sent {len(partial)} of {expected} announced bytes for {url}")
        self.url = url
        self.partial = partial
        self.expected = expected


def console_script(name: str) -> Path:
    """Return the path of console script ``name`` installed beside the running interpreter.

    The venv's ``bin/`` is preferred over ``PATH`` so that the tools match the installed
    libraries even when the venv is not activated.
    """
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return here
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"console script {name!r} not found next to {sys.executable} or on PATH")
    return Path(found)


def _run(
    argv: Sequence[StrPath], *, cwd: StrPath | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [os.fspath(a) for a in argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TOOL_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{argv[0]} did not finish within {TOOL_TIMEOUT} s") from exc


def _as_paths(paths: StrPath | Iterable[StrPath], *, allow_empty: bool = False) -> list[Path]:
    # Absolute, since the tools may run with another working directory.
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    result = [Path(p).absolute() for p in items]
    if not result and not allow_empty:
        raise ValueError("no WARC paths given")
    for p in result:
        if not p.is_file():
            raise FileNotFoundError(f"WARC file not found: {p}")
    return result


# --------------------------------------------------------------------------- warcio check


@dataclass(frozen=True)
class RecordCheck:
    """One record as ``warcio check -v`` reported it.

    ``messages`` are warcio's lines for the record, e.g. ``"digest pass"``,
    ``"no digest to check"``, ``"digest present but not checked (revisit)"`` or
    ``"payload digest failed ..."``.
    """

    path: str
    offset: int
    record_id: str
    record_type: str
    messages: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when warcio computed and matched this record's digest(s)."""
        return self.messages == ("digest pass",)

    @property
    def failed(self) -> bool:
        """True when warcio reported a digest problem for this record."""
        return any("failed" in m or "unknown hash" in m for m in self.messages)


@dataclass(frozen=True)
class CheckResult:
    """Outcome of ``warcio check -v`` on some files: its exit status and complete output.

    ``records`` lists what warcio said per record; ``errors`` holds file-level problems
    (``"<file>: saw exception ArchiveLoadFailed: ..."``, after which warcio skips the file).
    """

    paths: tuple[Path, ...]
    returncode: int
    stdout: str
    stderr: str
    records: tuple[RecordCheck, ...] = field(default=())
    errors: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """warcio's own verdict: exit status 0 (no digest failed, every file readable)."""
        return self.returncode == 0

    @property
    def output(self) -> str:
        """Everything the tool printed, for failure messages."""
        return self.stdout + (("\n[stderr]\n" + self.stderr) if self.stderr.strip() else "")

    def unchecked(self) -> list[RecordCheck]:
        """Records whose digest warcio did not verify (none present, or a revisit)."""
        return [r for r in self.records if not r.passed and not r.failed]


def _parse_check_output(stdout: str) -> tuple[tuple[RecordCheck, ...], tuple[str, ...]]:
    # Layout (warcio/checker.py): a file name at column 0, then "  offset N WARC-Record-ID <id>
    # TYPE" per record and "    message" lines under it.
    records: list[RecordCheck] = []
    errors: list[str] = []
    current_file = ""
    head: tuple[int, str, str] | None = None
    msgs: list[str] = []

    def flush() -> None:
        nonlocal head, msgs
        if head is not None:
            records.append(RecordCheck(current_file, head[0], head[1], head[2], tuple(msgs)))
        head, msgs = None, []

    for line in stdout.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            flush()
            current_file = line.strip()
        elif line.startswith("  offset "):
            flush()
            parts = line.split()
            # ["offset", N, "WARC-Record-ID", id, type]
            head = (
                int(parts[1]),
                parts[3] if len(parts) > 3 else "",
                parts[4] if len(parts) > 4 else "",
            )
        elif line.startswith("    "):
            msgs.append(line.strip())
        else:  # "  saw exception ..." / "  skipping rest of file"
            flush()
            if "skipping rest of file" not in line:
                errors.append(f"{current_file}: {line.strip()}")
    flush()
    return tuple(records), tuple(errors)


def warcio_check(paths: StrPath | Iterable[StrPath]) -> CheckResult:
    """Run ``warcio check -v`` on WARC files and return its verdict and output."""
    files = _as_paths(paths)
    proc = _run([console_script("warcio"), "check", "-v", *files])
    records, errors = _parse_check_output(proc.stdout)
    return CheckResult(
        paths=tuple(files),
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        records=records,
        errors=errors,
    )


def assert_warcio_check(
    paths: StrPath | Iterable[StrPath], *, require_digests: bool = False
) -> CheckResult:
    """Fail the current test, showing warcio's output, unless ``warcio check`` passes.

    With ``require_digests=True`` every non-revisit record must also carry a digest that warcio
    verified (warcio itself passes a record that has no digest at all).
    """
    result = warcio_check(paths)
    if not result.ok:
        pytest.fail(f"warcio check failed (exit {result.returncode}):\n{result.output}")
    if not result.records:
        pytest.fail(f"warcio check saw no records:\n{result.output}")
    if require_digests:
        missing = [r for r in result.unchecked() if r.record_type != "revisit"]
        if missing:
            listing = "\n".join(
                f"  {r.path} @{r.offset} {r.record_type}: {r.messages}" for r in missing
            )
            pytest.fail(f"records without a verified digest:\n{listing}\n\n{result.output}")
    return result


# --------------------------------------------------------------------------- cdxj-indexer


@dataclass(frozen=True)
class CdxjLine:
    """One CDXJ line: SURT key, 14-digit timestamp and the JSON block."""

    surt: str
    timestamp: str
    fields: dict[str, str]

    @property
    def url(self) -> str | None:
        """The capture's original URL (absent on warcinfo lines)."""
        return self.fields.get("url")

    @property
    def filename(self) -> str | None:
        return self.fields.get("filename")

    @property
    def offset(self) -> int:
        return int(self.fields["offset"])

    @property
    def length(self) -> int:
        return int(self.fields["length"])

    @classmethod
    def parse(cls, line: str) -> CdxjLine:
        """Parse ``"<surt> <timestamp> {json}"``; raises ValueError on anything else."""
        surt, sep1, rest = line.partition(" ")
        timestamp, sep2, block = rest.partition(" ")
        if not (sep1 and sep2 and block.startswith("{")):
            raise ValueError(f"not a CDXJ line: {line!r}")
        data = json.loads(block)
        if not isinstance(data, dict):
            raise ValueError(f"CDXJ block is not a JSON object: {line!r}")
        return cls(surt, timestamp, {str(k): str(v) for k, v in data.items()})


def cdxj_index(
    paths: StrPath | Iterable[StrPath],
    *,
    records: str | None = None,
    sort: bool = False,
    post_append: bool = False,
) -> list[CdxjLine]:
    """Run ``cdxj-indexer`` on WARC files and parse every line it prints.

    ``records`` is passed as ``--records`` (e.g. ``"all"`` to include warcinfo/metadata/request
    records), ``post_append`` as ``--post-append`` (POST bodies in the keys, as pywb indexes);
    raises ToolError if the indexer exits non-zero or prints a line that is not CDXJ.
    """
    files = _as_paths(paths)
    argv: list[StrPath] = [console_script("cdxj-indexer")]
    if records is not None:
        argv += ["--records", records]
    if sort:
        argv.append("--sort")
    if post_append:
        argv.append("--post-append")
    proc = _run([*argv, *files])
    if proc.returncode != 0:
        raise ToolError(
            f"cdxj-indexer exited {proc.returncode} on {', '.join(map(str, files))}:\n"
            f"{proc.stdout}\n{proc.stderr}"
        )
    lines: list[CdxjLine] = []
    for raw in proc.stdout.splitlines():
        if raw.strip():
            try:
                lines.append(CdxjLine.parse(raw))
            except ValueError as exc:
                raise ToolError(f"cdxj-indexer printed a bad line: {exc}\n{proc.stderr}") from exc
    return lines


def assert_cdxj_indexes(
    paths: StrPath | Iterable[StrPath],
    *,
    expect_urls: Iterable[str] = (),
    records: str | None = None,
) -> list[CdxjLine]:
    """Fail the test unless ``cdxj-indexer`` indexes the files and lists every expected URL.

    Each line must have a 14-digit timestamp, a filename, an offset and a length.
    """
    try:
        lines = cdxj_index(paths, records=records)
    except ToolError as exc:
        pytest.fail(str(exc))
    if not lines:
        pytest.fail(f"cdxj-indexer produced no lines for {paths}")
    text = "\n".join(f"{x.surt} {x.timestamp} {x.fields}" for x in lines)
    for x in lines:
        if not (len(x.timestamp) == 14 and x.timestamp.isdigit()):
            pytest.fail(f"bad CDXJ timestamp {x.timestamp!r}:\n{text}")
        if not {"filename", "offset", "length"} <= x.fields.keys():
            pytest.fail(f"CDXJ line without filename/offset/length:\n{text}")
    urls = {x.url for x in lines}
    missing = [u for u in expect_urls if u not in urls]
    if missing:
        pytest.fail(f"cdxj-indexer did not index {missing}; it printed:\n{text}")
    return lines


def assert_index_matches_cdxj_indexer(col: Path, *, post_append: bool = False) -> None:
    """The collection's index.cdxj says what cdxj-indexer says of its WARC files, line by line
    (key, timestamp, and the fields both write)."""
    from archiver import Collection

    collection = Collection.open(col)
    theirs = {
        (x.fields["filename"], x.fields["offset"]): x
        for x in cdxj_index(collection.warc_files(), post_append=post_append)
    }
    ours = {}
    for line in collection.index_path.read_text().splitlines():
        key, ts, data = line.split(" ", 2)
        fields = json.loads(data)
        ours[(fields["filename"], fields["offset"])] = (key, ts, fields)
    assert ours.keys() == theirs.keys()
    for place, (key, ts, fields) in ours.items():
        other = theirs[place]
        assert (key, ts) == (other.surt, other.timestamp), place
        for name in ("url", "mime", "status", "digest", "length", "method", "requestBody"):
            assert fields.get(name) == other.fields.get(name), (place, name)


# --------------------------------------------------------------------------- pywb replay


class ReplayResponse(NamedTuple):
    """What pywb answered: unpacks as ``status, headers, body``."""

    status: int
    headers: email.message.Message
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Archived 3xx responses must come back as they are, not be followed.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


Mode = Literal["id_", "mp_", ""]


class PywbReplay:
    """A pywb ``wayback`` server replaying some WARC files, for the length of a ``with`` block.

    On enter: a temporary folder gets ``wb-manager init NAME`` and ``wb-manager add NAME
    FILES``, then ``wayback -b 127.0.0.1 -p PORT`` starts there (its own process group, output
    kept in files) and is polled until it answers. On exit the process group is terminated
    (killed if it does not stop) and the folder removed, whatever happened.

    ``add()`` puts more WARC files into the running collection (pywb reads the CDXJ index on
    every request, so one server can serve a whole test module). ``framed=False`` serves pages
    unframed (``config.yaml``), as a browser test loads them. ``keep_dir=True`` leaves the
    folder (``.root``) in place for a post-mortem. pywb monkeypatches the standard library with
    gevent when it starts, which is why it always runs in a child process here.
    """

    def __init__(
        self,
        warc_paths: StrPath | Iterable[StrPath] = (),
        *,
        coll: str = "test",
        start_timeout: float = PYWB_START_TIMEOUT,
        keep_dir: bool = False,
        framed: bool = True,
    ) -> None:
        self._initial = _as_paths(warc_paths, allow_empty=True)
        self.framed = framed
        self.coll = coll
        self.start_timeout = start_timeout
        self.keep_dir = keep_dir
        self.root: Path | None = None
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # never go through an environment proxy
            _NoRedirect(),
        )

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> PywbReplay:
        try:
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _setup(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pywb-"))
        if not self.framed:  # pages load top-level in a browser, not inside pywb's frame
            (self.root / "config.yaml").write_text("framed_replay: false\n")
        self._manager("init", self.coll)
        if self._initial:
            self.add(self._initial)
        # A free port can be taken between our probe and pywb's bind: retry a few times.
        for _attempt in range(3):
            if self._start_server():
                return
        raise ToolError(f"pywb could not bind a port after 3 attempts:\n{self.logs()}")

    def _manager(self, *args: StrPath) -> None:
        assert self.root is not None
        proc = _run([console_script("wb-manager"), *args], cwd=self.root)
        if proc.returncode != 0:
            raise ToolError(
                f"wb-manager {' '.join(map(str, args))} exited {proc.returncode}:\n"
                f"{proc.stdout}\n{proc.stderr}"
            )

    def _start_server(self) -> bool:
        """Start wayback; True once it answers, False if the port was taken."""
        assert self.root is not None
        self.port = _free_port()
        out = (self.root / "wayback.stdout").open("wb")
        err = (self.root / "wayback.stderr").open("wb")
        with out, err:
            self._proc = subprocess.Popen(
                [os.fspath(console_script("wayback")), "-b", "127.0.0.1", "-p", str(self.port)],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # own process group: we can end it and its children
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            rc = self._proc.poll()
            if rc is not None:
                logs = self.logs()
                self._proc = None
                if "Address already in use" in logs:
                    return False
                raise ToolError(f"pywb wayback exited with status {rc} before answering:\n{logs}")
            try:
                with self._opener.open(self.base + "/", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except (
                urllib.error.URLError,
                ConnectionError,
                TimeoutError,
                http.client.HTTPException,
            ):
                pass
            time.sleep(0.05)
        raise ToolError(
            f"pywb did not answer on {self.base} within {self.start_timeout} s:\n{self.logs()}"
        )

    def close(self) -> None:
        """Stop the server (whole process group) and remove the folder. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self.root is not None and not self.keep_dir:
            shutil.rmtree(self.root, ignore_errors=True)

    # ----------------------------------------------------------------- use

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self.port is None:
            raise ToolError("pywb server not started (use PywbReplay in a with block)")
        return f"http://127.0.0.1:{self.port}"

    @property
    def archive_dir(self) -> Path:
        """The collection's ``archive/`` folder inside the temporary root."""
        if self.root is None:
            raise ToolError("pywb collection not set up (use PywbReplay in a with block)")
        return self.root / "collections" / self.coll / "archive"

    def add(self, warc_paths: StrPath | Iterable[StrPath]) -> None:
        """Copy WARC files into the collection and index them (``wb-manager add``).

        Raises ToolError if a file of the same name is already in the collection, since
        pywb locates records by file name.
        """
        files = _as_paths(warc_paths)
        names = [p.name for p in files]
        clash = sorted({n for n in names if (self.archive_dir / n).exists() or names.count(n) > 1})
        if clash:
            raise ToolError(f"WARC file name(s) already in collection {self.coll!r}: {clash}")
        self._manager("add", self.coll, *files)

    def url_for(self, url: str, *, mode: Mode = "id_", timestamp: str | None = None) -> str:
        """The replay URL ``BASE/COLL/<timestamp><mode>/<url>``."""
        return f"{self.base}/{self.coll}/{timestamp or ''}{mode}/{url}"

    def get(
        self,
        url: str,
        mode: Mode = "id_",
        timestamp: str | None = None,
        *,
        accept_encoding: str = "identity",
    ) -> ReplayResponse:
        """Fetch a capture: ``id_`` gives the archived payload, ``mp_`` the rewritten page.

        Without a timestamp pywb serves the latest capture. Redirects are not followed; HTTP
        errors (404 for an unknown URL, archived 4xx/5xx) are returned, not raised.

        pywb always removes the archived ``Transfer-Encoding: chunked`` framing (the HTTP
        client could not see it anyway). It removes an archived ``Content-Encoding`` too unless
        the request accepts it: pass ``accept_encoding="gzip"`` to get the archived gzip bytes
        unchanged (with ``Content-Encoding: gzip`` in the headers).
        """
        return self.fetch(
            self.url_for(url, mode=mode, timestamp=timestamp), accept_encoding=accept_encoding
        )

    def fetch(self, full_url: str, *, accept_encoding: str = "identity") -> ReplayResponse:
        """GET any URL on this server (it must start with ``self.base``)."""
        if not full_url.startswith(self.base + "/"):
            raise ValueError(f"refusing to fetch {full_url!r}: not on {self.base}")
        req = urllib.request.Request(full_url, headers={"Accept-Encoding": accept_encoding})
        try:
            with self._opener.open(req, timeout=30) as resp:
                return ReplayResponse(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return ReplayResponse(exc.code, exc.headers, exc.read())
        except http.client.IncompleteRead as exc:
            expected = None if exc.expected is None else len(exc.partial) + exc.expected
            raise IncompleteReplay(full_url, exc.partial, expected) from exc

    def cdx(self, url: str, **params: str) -> list[dict[str, str]]:
        """Query the collection's CDX server (``/COLL/cdx?url=...&output=json``)."""
        query = urllib.parse.urlencode({"url": url, "output": "json", **params})
        status, _headers, body = self.fetch(f"{self.base}/{self.coll}/cdx?{query}")
        if status != 200:
            raise ToolError(f"pywb cdx query for {url} answered {status}: {body[:500]!r}")
        out: list[dict[str, str]] = []
        for line in body.decode("utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def logs(self) -> str:
        """The server's stdout and stderr so far (for failure messages)."""
        if self.root is None:
            return ""
        parts = []
        for name in ("wayback.stdout", "wayback.stderr"):
            p = self.root / name
            if p.exists():
                parts.append(f"--- {name} ---\n{p.read_text(errors='replace')[-20000:]}")
        return "\n".join(parts)
