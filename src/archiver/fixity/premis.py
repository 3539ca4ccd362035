"""PREMIS 3 export of a fixity run: one ``fixity check`` event per payload file.

Each event names the file (linkingObjectIdentifier), the tool (linkingAgentIdentifier, with the
agent described once), the outcome (``pass`` / ``fail``) and, in eventOutcomeDetailNote, the
algorithm with the expected and actual digests.  Event types use the Library of Congress
preservation vocabulary.
"""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from collections import defaultdict

from archiver.fixity.report import FileCheck, FixityReport
from archiver.fsutil import atomic_write

__all__ = ["PREMIS_NS", "premis_xml", "write_premis"]

PREMIS_NS = "http://www.loc.gov/premis/v3"
_EVENT_TYPE_URI = "http://id.loc.gov/vocabulary/preservation/eventType/fix"
_P = f"{{{PREMIS_NS}}}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _P + tag, attrs)
    if text is not None:
        element.text = text
    return element


def premis_xml(report: FixityReport) -> bytes:
    """The run as a PREMIS 3 document (UTF-8 XML bytes)."""
    ET.register_namespace("premis", PREMIS_NS)
    root = ET.Element(_P + "premis", {"version": "3.0"})
    by_path: dict[str, list[FileCheck]] = defaultdict(list)
    for check in report.files:
        by_path[check.path].append(check)
    agent_id = report.tool
    when = report.finished.isoformat()
    for path, checks in sorted(by_path.items()):
        event = _sub(root, "event")
        ident = _sub(event, "eventIdentifier")
        _sub(ident, "eventIdentifierType", "UUID")
        _sub(ident, "eventIdentifierValue", str(uuid.uuid4()))
        _sub(
            event,
            "eventType",
            "fixity check",
            authority="eventType",
            authorityURI=_EVENT_TYPE_URI.rsplit("/", 1)[0],
            valueURI=_EVENT_TYPE_URI,
        )
        _sub(event, "eventDateTime", when)
        detail = _sub(event, "eventDetailInformation")
        mode = "completeness only (no digests computed)" if report.fast else "digests computed"
        _sub(detail, "eventDetail", f"{report.tool} verify of bag {report.bag}: {mode}")
        passed = all(c.outcome in ("ok", "present") for c in checks)
        outcome = _sub(event, "eventOutcomeInformation")
        _sub(outcome, "eventOutcome", "pass" if passed else "fail")
        for check in checks:
            note = _sub(outcome, "eventOutcomeDetail")
            _sub(
                note,
                "eventOutcomeDetailNote",
                f"{check.algorithm}: {check.outcome}; expected {check.expected or '-'}; "
                f"actual {check.actual or '-'}",
            )
        agent_link = _sub(event, "linkingAgentIdentifier")
        _sub(agent_link, "linkingAgentIdentifierType", "local")
        _sub(agent_link, "linkingAgentIdentifierValue", agent_id)
        _sub(agent_link, "linkingAgentRole", "executing program")
        obj_link = _sub(event, "linkingObjectIdentifier")
        _sub(obj_link, "linkingObjectIdentifierType", "bag path")
        _sub(obj_link, "linkingObjectIdentifierValue", path)
    agent = _sub(root, "agent")
    agent_ident = _sub(agent, "agentIdentifier")
    _sub(agent_ident, "agentIdentifierType", "local")
    _sub(agent_ident, "agentIdentifierValue", agent_id)
    _sub(agent, "agentName", report.tool.split(" ")[0])
    _sub(agent, "agentType", "software")
    _sub(agent, "agentVersion", report.tool.split(" ")[-1])
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def write_premis(report: FixityReport, path: str | os.PathLike[str]) -> None:
    """Write :func:`premis_xml` to ``path`` atomically."""
    with atomic_write(path, "wb") as fh:
        fh.write(premis_xml(report))
