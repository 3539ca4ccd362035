"""The shipped BagIt profile, and check_profile's findings on bags that depart from a profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bagit
import bagit_profile
import pytest

from archiver.bag import PROFILE_IDENTIFIER, BagSummary, check_profile, load_profile
from archiver.errors import ProfileError


def test_shipped_profile_is_valid_for_bagit_profile() -> None:
    profile = load_profile()
    assert profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] == PROFILE_IDENTIFIER
    assert profile["BagIt-Profile-Info"]["BagIt-Profile-Version"] == "1.4.0"
    bagit_profile.Profile(PROFILE_IDENTIFIER, profile=profile)  # validates the profile itself


def test_our_bags_conform(bag: BagSummary) -> None:
    assert check_profile(bag.path, load_profile()) == []
    for fmt in ("tar", "tar.gz", "zip"):
        assert check_profile(bag.path, load_profile(), serialization=fmt) == []


def _profile(**overrides: Any) -> dict[str, Any]:
    profile = load_profile()
    profile.update(overrides)
    return profile


def test_every_departure_is_reported(bag: BagSummary) -> None:
    (bag.path / "fetch.txt").write_text("")
    (bag.path / "notes.txt").write_text("an extra tag file")
    (bag.path / "manifest-sha512.txt").unlink()
    info = (bag.path / "bag-info.txt").read_text()
    (bag.path / "bag-info.txt").write_text(
        info.replace("External-Identifier: karen-news\n", "") + "Bagging-Date: 2020-01-01\n"
    )
    problems = check_profile(bag.path, load_profile(), serialization="tar.gz")
    text = "\n".join(problems)
    for expected in (
        "lacks the required field External-Identifier",
        "repeats Bagging-Date",
        "required payload manifest for sha512 is missing",
        "does not allow the tag file notes.txt",
        "fetch.txt is present",
    ):
        assert expected in text, text
    assert len(problems) == 5


def test_profile_rules_on_versions_values_and_serialisation(bag: BagSummary) -> None:
    profile = _profile(
        **{
            "Accept-BagIt-Version": ["0.97"],
            "Serialization": "required",
            "Accept-Serialization": ["application/zip"],
            "Payload-Files-Required": ["data/*/nothing-like-this"],
            "Manifests-Allowed": ["sha512"],
        }
    )
    profile["Bag-Info"] = {"Source-Organization": {"required": True, "values": ["Somebody Else"]}}
    problems = "\n".join(check_profile(bag.path, profile))
    assert "BagIt-Version 1.0 is not one of ['0.97']" in problems
    assert "requires a serialised bag" in problems
    assert "not one of ['Somebody Else']" in problems
    assert "no payload file matches the required pattern" in problems
    assert "does not allow a payload manifest for sha256" in problems
    zip_only = "\n".join(check_profile(bag.path, profile, serialization="tar"))
    assert "does not accept application/x-tar" in zip_only


def test_bagit_profile_agrees_on_a_departure(bag: BagSummary) -> None:
    (bag.path / "notes.txt").write_text("extra")
    theirs = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=load_profile())
    assert not theirs.validate(bagit.Bag(str(bag.path)))
    assert check_profile(bag.path, load_profile())


def test_bad_profiles(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("{not json")
    with pytest.raises(ProfileError):
        load_profile(tmp_path / "p.json")
    (tmp_path / "q.json").write_text(json.dumps({"Bag-Info": {}}))
    with pytest.raises(ProfileError, match="not a BagIt profile"):
        load_profile(tmp_path / "q.json")
    with pytest.raises(ProfileError):
        load_profile(tmp_path / "missing.json")
