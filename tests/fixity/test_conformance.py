"""The Library of Congress BagIt conformance suite, every case, classified as its folder says.

valid: no error (warnings allowed); invalid: at least one error; warning: no error and the
expected warning; linux-only: invalid on Linux.  windows-only cases name Windows paths
(drive letters, backslashes, UNC); on Linux those paths are unsafe and the bags are invalid.

Two warning fixtures were made on macOS and lack a file on Linux:

* ``duplicate-file-with-different-case`` lists ``data/hello.txt`` and ``data/HELLO.txt``, but
  its Payload-Oxum (6.1) says the payload was one file: on the case-insensitive file system it
  was made on, both names were the same file.  Nothing is restored; verify matches the listed
  name that has no exact file to the one file that differs only in case (warning
  ``name-mismatch``), so the bag is valid with the ``case-collision`` warning.
* ``special-system-files`` lists ``data/.DS_Store`` (Payload-Oxum 0.2: two empty files), which
  git did not keep.  The test restores it in a copy as the empty file the manifest's digest
  says it is, then expects valid + ``system-file``; separately, as checked out, the bag must
  be invalid (a listed file is missing) and still get the warning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archiver.fixity import verify

# ../shared sits beside the project's root (see ../shared/README.md)
SUITE = Path(__file__).resolve().parents[3] / "shared" / "data" / "bagit-conformance-suite"

EXPECTED_WARNING = {
    "duplicate-file-with-different-case": "case-collision",
    "made-with-md5sum-tools": "md5sum-prefix",
    "relative-path": "dot-slash-prefix",
    "same-filename-listed-twice-with-different-normalization": "normalization-collision",
    "same-filename-listed-twice-with-the-same-hash": "duplicate-entry",
    "special-system-files": "system-file",
}
LOST_BY_GIT = {"special-system-files": "data/.DS_Store"}


def _cases() -> list[tuple[str, str, Path]]:
    cases = []
    for path in sorted(SUITE.glob("v*/*/*")):
        if path.is_dir():
            cases.append((path.parent.name, path.name, path))
    return cases


CASES = _cases()


def test_suite_is_complete() -> None:
    assert len(CASES) == 60


@pytest.mark.parametrize(
    ("category", "name", "path"),
    CASES,
    ids=[f"{p.parent.parent.name}/{c}/{n}" for c, n, p in CASES],
)
def test_case(category: str, name: str, path: Path, tmp_path: Path) -> None:
    bag = path
    if category == "warning" and name in LOST_BY_GIT:
        bag = tmp_path / name
        shutil.copytree(path, bag)
        if not (bag / LOST_BY_GIT[name]).exists():
            (bag / LOST_BY_GIT[name]).write_bytes(b"")
    report = verify(bag)
    codes = {p.code for p in report.errors}
    warnings = {p.code for p in report.warnings}
    if category == "valid":
        assert report.ok, [p.message for p in report.errors]
    elif category in ("invalid", "linux-only", "windows-only"):
        assert not report.ok, "expected at least one error"
        assert codes
    else:
        assert report.ok, [p.message for p in report.errors]
        assert EXPECTED_WARNING[name] in warnings, warnings


def test_system_files_fixture_as_checked_out_is_incomplete_but_still_warns() -> None:
    path = SUITE / "v0.97" / "warning" / "special-system-files"
    if (path / "data" / ".DS_Store").exists():  # pragma: no cover - kept on some checkouts
        pytest.skip("data/.DS_Store is present in this checkout")
    report = verify(path)
    assert {p.code for p in report.errors} == {"file-missing", "oxum-mismatch"}
    assert "system-file" in {p.code for p in report.warnings}


def test_case_fixture_matches_the_one_file_with_a_warning() -> None:
    report = verify(SUITE / "v0.97" / "warning" / "duplicate-file-with-different-case")
    assert report.ok
    assert {"case-collision", "name-mismatch"} <= {p.code for p in report.warnings}


def test_encoded_and_escapable_names_resolve() -> None:
    report = verify(SUITE / "v0.97" / "valid" / "bag-with-encoded-names")
    assert report.ok
    assert {f.path for f in report.files} >= {"data/%7Etest1.txt", "data/%test2.txt"}
