"""The public surface is small, explicit and guarded (STYLE: a test that guards the list)."""

from __future__ import annotations

import subprocess
import sys

import archiver

EXPECTED = [
    "ArchiverError",
    "Article",
    "CaptureOptions",
    "CaptureSummary",
    "Collection",
    "Failure",
    "FixityReport",
    "Seed",
    "__version__",
    "capture",
    "extract",
    "extract_warc",
    "make_bag",
    "reindex",
    "verify",
]


def test_all_is_sorted_and_exactly_the_public_names() -> None:
    assert archiver.__all__ == EXPECTED == sorted(EXPECTED)


def test_every_public_name_resolves() -> None:
    for name in archiver.__all__:
        assert getattr(archiver, name) is not None
    assert "capture" in dir(archiver)


def test_unknown_names_raise_attribute_error() -> None:
    try:
        archiver.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")


def test_import_is_light() -> None:
    """`import archiver` loads no layer until a name is used (the CLI starts fast)."""
    code = "import sys, archiver; print(sorted(m for m in sys.modules if m.startswith('archiver')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['archiver', 'archiver._version', 'archiver.errors']"


def test_every_error_derives_from_archiver_error() -> None:
    import archiver.errors as errors

    classes = [
        v
        for v in vars(errors).values()
        if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == "archiver.errors"
    ]
    assert len(classes) > 10
    assert all(issubclass(c, archiver.ArchiverError) for c in classes)


def test_functions_win_over_the_subpackages_of_the_same_name() -> None:
    import archiver.capture.http
    import archiver.extract.core

    assert callable(archiver.capture) and archiver.capture.__name__ == "capture"
    assert callable(archiver.extract) and archiver.extract.__name__ == "extract"
