"""Shared fixtures.  Every test runs offline: sites are served on 127.0.0.1, port 0.

After each test, every WARC file left under its ``tmp_path`` is run through warcio's own
checker (the code behind ``warcio check``): a test that writes a WARC proves it is valid.
Tests that build deliberately broken WARCs opt out with ``@pytest.mark.broken_warcs``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import pytest

from archiver.testing import SiteServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "broken_warcs: the test leaves deliberately invalid WARCs in tmp_path"
    )


def warcio_check_in_process(paths: list[Path]) -> tuple[int, str]:
    """Run warcio's checker (``warcio check -v``) on ``paths``; (exit value, output)."""
    from warcio.checker import Checker

    out = io.StringIO()
    with redirect_stdout(out):
        code = Checker(SimpleNamespace(inputs=[str(p) for p in paths], verbose=True)).process_all()
    return int(code), out.getvalue()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures the tests measured on the way (browser capture coverage against static)."""
    from tests.capture.reader import COVERAGE_REPORT

    lines = terminalreporter.config.stash.get(COVERAGE_REPORT, [])
    if lines:
        terminalreporter.section("capture coverage")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _every_warc_passes_warcio_check(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[None]:
    yield
    if request.node.get_closest_marker("broken_warcs"):
        return
    warcs = sorted(p for p in tmp_path.rglob("*.warc.gz") if p.is_file())
    if warcs:
        code, output = warcio_check_in_process(warcs)
        assert code == 0, f"warcio check failed on WARCs this test wrote:\n{output}"


@pytest.fixture(scope="session")
def example_site() -> Iterator[SiteServer]:
    """The bundled example news site, served for the whole session."""
    with SiteServer() as site:
        yield site


@pytest.fixture
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """A three-page site with CSS, images and a redirect, served fresh for each test."""
    root = tmp_path_factory.mktemp("small-site")
    (root / "a").mkdir()
    (root / "img").mkdir()
    (root / "index.html").write_text(
        "<html><head><title>Home</title><link rel=stylesheet href=/s.css></head><body>"
        "<a href=/a/>A</a><img src=/img/x.png srcset='/img/y.png 2x'></body></html>"
    )
    (root / "s.css").write_text('@import "/t.css"; body{background:url(/img/bg.png)}')
    (root / "t.css").write_text("p{color:red}")
    (root / "a" / "index.html").write_text(
        "<html><head><title>Page A</title></head><body><p>A</p><img src=/img/x.png></body></html>"
    )
    for name, size in (("x.png", 5000), ("y.png", 3000), ("bg.png", 2000)):
        (root / "img" / name).write_bytes(bytes(range(256)) * (size // 256))
    with SiteServer(root) as site:
        yield site
