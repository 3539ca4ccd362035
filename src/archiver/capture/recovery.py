"""Repairing what a killed capture left: WARC files still under their ``.open`` name.

The catalog knows, for every WARC file, the offset up to which its records were committed
(written, flushed and catalogued in one step).  Bytes after that offset belong to records
whose URLs the catalog still holds as pending, so they are cut off and fetched again; the
file, now ending on a complete record, gets its final name.  A file the catalog has never
heard of, or one shorter than the committed offset (its tail was lost), is moved aside to
``quarantine/`` intact, never deleted, and the URLs whose records were in it are queued again.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

from archiver.catalog import Catalog
from archiver.collection import Collection
from archiver.fsutil import fsync_dir

__all__ = ["recover_open_files"]

log = logging.getLogger(__name__)


def recover_open_files(col: Collection, catalog: Catalog) -> list[str]:
    """Close or set aside every ``*.warc.gz.open`` file; return the names of files closed."""
    closed = []
    for path in col.open_warc_files():
        final_name = path.name.removesuffix(".open")
        end = catalog.committed_end(final_name)
        size = path.stat().st_size
        if end is None or size < end:
            aside = col.path / "quarantine"
            aside.mkdir(exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            target = aside / f"{path.name}.{stamp}"
            os.replace(path, target)
            catalog.forget_file(final_name)
            log.warning("moved unrecoverable %s to %s", path.name, target)
            continue
        if size > end:
            with open(path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
            log.warning(
                "cut %s back to its last complete record (%d -> %d bytes)", path.name, size, end
            )
        os.replace(path, path.with_name(final_name))
        fsync_dir(path.parent)
        catalog.file_closed(final_name)
        closed.append(final_name)
    return closed
