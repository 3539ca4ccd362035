"""`archiver demo` runs the whole pipeline; everything it writes is valid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archiver.capture.browser.chromium import find_chromium
from archiver.cli import main
from archiver.errors import BrowserError
from tests.interop.tools import assert_warcio_check, warcio_check


@pytest.mark.broken_warcs  # the demo damages a copy of its bag on purpose
def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "demo"
    assert main(["demo", "--output", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "Serving the example news site at http://127.0.0.1:" in out
    assert str(out_dir.resolve()) in out
    assert "article record(s) written" in out and '"title": "NUG and Resistance' in out
    assert "result:   VALID" in out and "result:   INVALID" in out
    assert "  digests:   SHA-512 lanes" in out or "  digests:   hashlib" in out
    assert "  copies:    files of 1 MiB or more with O_DIRECT" in out or "  copies:    every" in out
    assert "[warc-block-digest]" in out and "record at offset" in out
    assert "index.cdxj identical to the capture's" in out
    # the script-driven articles, loaded in Chromium; without one (make installs it as root)
    # the demo says it skipped them
    try:
        find_chromium()
    except BrowserError:
        assert os.geteuid() != 0, "no Chromium although make installs it as root"
        assert "skipped: no Chromium found" in out
    else:
        assert "browser: Chromium/" in out and "URL(s) found beyond static parsing" in out
        shots = sorted((out_dir / "screenshots").glob("*.png"))
        assert len(shots) == 3 and all(s.read_bytes().startswith(b"\x89PNG") for s in shots)
        assert "extracted from the browser's rendered DOM: 'Seed Savers" in out
    damaged = sorted((out_dir / "bag-damaged").rglob("*.warc.gz"))
    warcs = sorted(set(out_dir.rglob("*.warc.gz")) - set(damaged))
    assert len(warcs) >= 4  # the collection's and the bag's copies
    assert_warcio_check(warcs, require_digests=True)  # the real CLI, on the demo's own files
    assert not warcio_check(damaged).ok  # and it agrees the damaged copy is damaged


def test_demo_refuses_to_clobber_a_folder_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    assert main(["demo", "--output", str(tmp_path)]) == 2
    assert "not made by 'archiver demo'" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "precious"
