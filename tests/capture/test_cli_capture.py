"""`archiver capture`: arguments, output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.testing import SiteServer


def test_capture_cli_prints_summary_and_exits_0(
    small_site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["capture", "-c", str(tmp_path / "col"), small_site.url("/a/")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Captured 1 page(s)" in out
    assert str(tmp_path / "col") in out and ".warc.gz" in out


def test_capture_cli_json_and_exit_1_on_failure(
    small_site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# a comment\n{small_site.url('/a/')}\n\n{small_site.url('/nope')}\n")
    code = main(
        ["capture", "-c", str(tmp_path / "col"), "-i", str(urls), "--json", "--retries", "0"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["pages"] == 1 and data["ok"] is False
    assert data["failures"] == [
        {"url": small_site.url("/nope"), "reason": "HTTP 404 Not Found", "status": 404}
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["capture"],  # no collection
        ["capture", "-c", "COL"],  # nothing to capture
        ["capture", "-c", "COL", "ftp://example.org/"],  # unsupported scheme
        ["capture", "-c", "COL", "--workers", "0", "http://127.0.0.1/"],
        ["capture", "-c", "COL", "--max-response-size", "lots", "http://127.0.0.1/"],
        ["capture", "-c", "COL", "-i", "/nonexistent/urls.txt"],
        ["nosuchcommand"],
    ],
)
def test_bad_usage_exits_2(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.replace("COL", str(tmp_path / "col")) for a in args]
    assert main(args) == 2
    assert capsys.readouterr().err.strip()


def test_capture_into_a_folder_that_is_not_a_collection_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["capture", "-c", str(tmp_path), "http://127.0.0.1:9/"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]
