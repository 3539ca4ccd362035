"""BagIt bags: building them from collections, serialising, opening safely, profiles.

>>> from archiver.bag import make_bag
>>> make_bag("karen-news", "karen-news-bag")          # doctest: +SKIP
BagSummary(path=PosixPath('karen-news-bag'), payload_files=7, ...)
"""

from archiver.bag.build import DEFAULT_ALGORITHMS, BagSummary, make_bag
from archiver.bag.profile import PROFILE_IDENTIFIER, check_profile, load_profile
from archiver.bag.serialize import (
    SERIALIZE_FORMATS,
    SerializeFormat,
    extract_bag,
    opened_bag,
    serialize_bag,
)

__all__ = [
    "DEFAULT_ALGORITHMS",
    "PROFILE_IDENTIFIER",
    "SERIALIZE_FORMATS",
    "BagSummary",
    "SerializeFormat",
    "check_profile",
    "extract_bag",
    "load_profile",
    "make_bag",
    "opened_bag",
    "serialize_bag",
]
