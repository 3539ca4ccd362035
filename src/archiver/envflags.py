"""On/off switches read from the environment (``ARCHIVER_SHA512_LANES``, ``ARCHIVER_DIRECT_IO``).

Every switch reads the same way: unset, empty, ``1``, ``yes``, ``on`` or ``true`` (any case,
spaces ignored) leave the feature on; any other value (``0``, ``no``, ``off``, ...) turns it off.
"""

from __future__ import annotations

import os

__all__ = ["switched_on"]


def switched_on(name: str) -> bool:
    """Whether the environment variable ``name`` leaves its feature on (see above)."""
    return os.environ.get(name, "").strip().lower() in ("", "1", "yes", "on", "true")
