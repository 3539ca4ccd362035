"""BagIt Profiles (1.4): the shipped archiver profile and validation of a bag against a profile.

:func:`check_profile` returns every way a bag departs from a profile (never only the first)::

    >>> check_profile("bag", load_profile())                     # doctest: +SKIP
    []
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from archiver.bag.tagfiles import manifest_algorithm, parse_bag_info, parse_bagit_txt
from archiver.bag.tagread import Refusal, TagLines, open_tag, read_opened, shown
from archiver.errors import ProfileError

__all__ = ["PROFILE_IDENTIFIER", "BagFiles", "check_profile", "load_profile"]

#: The identifier written into every archiver bag's bag-info.txt.  The profile has no public
#: home yet, so this is a URN rather than a URL; the shipped file carries the same value.
PROFILE_IDENTIFIER = "urn:archiver:bagit-profile:1.0"
_PROFILE_FILE = "archiver-bagit-profile.json"
_MIME = {"tar": "application/x-tar", "tar.gz": "application/gzip", "zip": "application/zip"}
_MIME_ALIASES = {
    "application/tar": "application/x-tar",
    "application/x-gzip": "application/gzip",
    "application/tar+gzip": "application/gzip",
    "application/x-zip": "application/zip",
}


def load_profile(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Load a BagIt profile from a JSON file or mapping; None loads the shipped archiver profile."""
    if isinstance(source, Mapping):
        profile = dict(source)
    else:
        try:
            if source is None:
                text = (resources.files("archiver") / "schemas" / _PROFILE_FILE).read_text("utf-8")
            else:
                text = Path(source).read_text(encoding="utf-8")
            profile = json.loads(text)
        except (OSError, json.JSONDecodeError) as exc:
            raise ProfileError(f"cannot load BagIt profile: {exc}", path=str(source)) from exc
    info = profile.get("BagIt-Profile-Info") if isinstance(profile, dict) else None
    if not isinstance(info, dict) or "BagIt-Profile-Identifier" not in info:
        raise ProfileError(
            "not a BagIt profile (no BagIt-Profile-Info/BagIt-Profile-Identifier)",
            path=str(source or _PROFILE_FILE),
        )
    return profile


class BagFiles:
    """A bag as a profile check sees it: its files (bag-relative) and a way to open a tag file.

    ``open`` gives a tag file opened for reading, or a :class:`~archiver.bag.tagread.Refusal`
    saying why not.  A folder's tag files are opened only if they are regular files (never
    through a link, never from a FIFO or device); a serialised bag is checked from the listing
    taken while it streams past, unpacked never.
    """

    def __init__(self, files: set[str], open: Callable[[str], BinaryIO | Refusal]) -> None:
        self.files = files
        self.open = open

    @classmethod
    def of_folder(cls, root: Path) -> BagFiles:
        """A folder's files below ``root`` (links are listed, never followed)."""
        files: set[str] = set()
        for folder, _, names in os.walk(root):
            rel = Path(folder).relative_to(root).as_posix()
            files.update(name if rel == "." else f"{rel}/{name}" for name in names)
        return cls(files, lambda name: open_tag(root / name))


def _is_standard(name: str) -> bool:
    return name in ("bagit.txt", "bag-info.txt", "fetch.txt") or bool(manifest_algorithm(name))


def check_profile(
    bag: str | os.PathLike[str] | BagFiles,
    profile: Mapping[str, Any],
    *,
    serialization: str | None = None,
) -> list[str]:
    """Every departure of the bag folder ``bag`` from ``profile``; empty if it conforms.

    ``serialization`` is the format the bag came in (``tar``, ``tar.gz``, ``zip``) or None
    for a folder.
    """
    view = BagFiles.of_folder(Path(bag)) if not isinstance(bag, BagFiles) else bag
    problems: list[str] = []
    identifier = profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]

    # tag files are read only if they are regular files (never through a link or from a FIFO)
    declaration = None
    data = read_opened(view.open("bagit.txt"), 4096)
    if isinstance(data, Refusal):
        problems.append(f"bagit.txt {data.reason}")
    else:
        declaration, _ = parse_bagit_txt(data)
    encoding = declaration.encoding if declaration else "utf-8"
    info: dict[str, list[str]] = {}
    opened = view.open("bag-info.txt")
    if not isinstance(opened, Refusal):
        with opened, TagLines(opened, encoding) as lines:
            for label, value in parse_bag_info(lines)[0]:
                info.setdefault(label, []).append(value)
    elif opened.kind != "missing" or profile.get("Bag-Info"):
        problems.append(f"bag-info.txt {opened.reason}")

    found_id = info.get("BagIt-Profile-Identifier", [])
    if found_id and found_id[0] != identifier:
        problems.append(f"bag-info.txt names profile {shown(found_id[0])}, not {shown(identifier)}")
    for label, rule in (profile.get("Bag-Info") or {}).items():
        values = info.get(label, [])
        if rule.get("required") and not values:
            problems.append(f"bag-info.txt lacks the required field {label}")
        if rule.get("repeatable") is False and len(values) > 1:
            problems.append(
                f"bag-info.txt repeats {label}, which the profile says is not repeatable"
            )
        allowed = rule.get("values")
        for value in values if allowed else []:
            if value not in allowed:
                problems.append(f"bag-info.txt {label} is {shown(value)}, not one of {allowed}")

    payload_algos: set[str] = set()
    tag_algos: set[str] = set()
    for name in view.files:
        kind = manifest_algorithm(name) if "/" not in name else None
        if kind:
            (tag_algos if kind[0] else payload_algos).add(kind[1])
    for key, present, what in (
        ("Manifests", payload_algos, "payload manifest"),
        ("Tag-Manifests", tag_algos, "tag manifest"),
    ):
        for algo in profile.get(f"{key}-Required", []):
            if algo not in present:
                problems.append(f"the required {what} for {algo} is missing")
        allowed_algos = profile.get(f"{key}-Allowed")
        if allowed_algos is not None:
            for algo in sorted(present - set(allowed_algos)):
                problems.append(f"the profile does not allow a {what} for {algo}")

    tags = sorted(
        f
        for f in view.files
        if not f.startswith("data/") and not ("/" not in f and _is_standard(f))
    )
    for required in profile.get("Tag-Files-Required", []):
        if required not in view.files:
            problems.append(f"the required tag file {required} is missing")
    allowed_tags = profile.get("Tag-Files-Allowed")
    if allowed_tags is not None:
        for tag in tags:
            if not any(fnmatch.fnmatch(tag, pat) for pat in allowed_tags):
                problems.append(f"the profile does not allow the tag file {tag}")

    payload = sorted(f for f in view.files if f.startswith("data/"))
    for pattern in profile.get("Payload-Files-Required", []):
        if not any(fnmatch.fnmatch(p, pattern) for p in payload):
            problems.append(f"no payload file matches the required pattern {pattern}")
    allowed_payload = profile.get("Payload-Files-Allowed")
    if allowed_payload is not None:
        for p in payload:
            if not any(fnmatch.fnmatch(p, pat) for pat in allowed_payload):
                problems.append(f"the profile does not allow the payload file {p}")
    if profile.get("Data-Empty") and payload:
        problems.append("the profile requires an empty payload")

    has_fetch = "fetch.txt" in view.files
    if has_fetch and profile.get("Allow-Fetch.txt", True) is False:
        problems.append("fetch.txt is present but the profile does not allow it")
    if not has_fetch and profile.get("Fetch.txt-Required"):
        problems.append("the profile requires fetch.txt")

    versions = profile.get("Accept-BagIt-Version")
    if versions and declaration and declaration.version_text not in versions:
        problems.append(f"BagIt-Version {declaration.version_text} is not one of {versions}")

    rule = profile.get("Serialization", "optional")
    if rule == "required" and serialization is None:
        problems.append("the profile requires a serialised bag")
    if rule == "forbidden" and serialization is not None:
        problems.append("the profile forbids serialised bags")
    accepted = {_MIME_ALIASES.get(m, m) for m in profile.get("Accept-Serialization", [])}
    if serialization and accepted and _MIME[serialization] not in accepted:
        problems.append(f"the profile does not accept {_MIME[serialization]} serialisation")
    return problems
