"""The Python examples in the docs run (against the example site served locally)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archiver.testing import SiteServer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "docs/capture.md"]
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _blocks() -> list[tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for i, m in enumerate(_BLOCK.finditer(text)):
            out.append((doc, i, m.group(1)))
    return out


@pytest.mark.parametrize(
    ("doc", "index", "code"), _blocks(), ids=[f"{d}#{i}" for d, i, _ in _blocks()]
)
def test_python_example_runs(
    doc: str,
    index: int,
    code: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if "BrowserOptions(" in code:  # a browser capture example: needs Chromium
        from tests.capture.reader import chromium_or_skip

        chromium_or_skip()
    monkeypatch.chdir(tmp_path)
    with SiteServer() as site:
        exec(compile(code.replace("http://127.0.0.1:8765", site.origin), doc, "exec"), {})
    assert capsys.readouterr().out.strip(), f"{doc} example #{index} printed nothing"
