"""Fixity verification runs of BagIt bags: reports, history, PREMIS export.

>>> report = verify("karen-news-bag", history="fixity.sqlite")     # doctest: +SKIP
>>> report.ok, [p.code for p in report.errors]                    # doctest: +SKIP
(False, ['digest-mismatch', 'digest-mismatch', 'warc-block-digest'])
>>> print(format_report(report))                                  # doctest: +SKIP
"""

from archiver.fixity.damage import DamagedRecord, damage_warc_record, flip_byte
from archiver.fixity.history import default_history_path, last_runs
from archiver.fixity.premis import premis_xml, write_premis
from archiver.fixity.report import (
    FileChange,
    FileCheck,
    FixityReport,
    Problem,
    RecordRef,
    format_report,
    report_to_json,
)
from archiver.fixity.verify import verify

__all__ = [
    "DamagedRecord",
    "FileChange",
    "FileCheck",
    "FixityReport",
    "Problem",
    "RecordRef",
    "damage_warc_record",
    "default_history_path",
    "flip_byte",
    "format_report",
    "last_runs",
    "premis_xml",
    "report_to_json",
    "verify",
    "write_premis",
]
