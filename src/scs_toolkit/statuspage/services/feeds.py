"""Atom feeds (RFC 4287) of incidents and maintenance: all of them, or those of one component.

Built with ElementTree, so every text is XML-escaped; an entry per incident, updated when it or its
timeline last changed, with the newest updates as its content (plain text).
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET

from ..._time import aware
from ..db import Incident

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _stamp(moment: dt.datetime) -> str:
    return aware(moment).isoformat().replace("+00:00", "Z")


def atom(title: str, feed_id: str, self_url: str, page_url: str, rows: list[Incident], incident_url: str) -> bytes:
    """`incident_url` has `{id}` where the incident's id goes."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _element(feed, "title", title)
    _element(feed, "id", feed_id)
    _element(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _element(feed, "link", rel="alternate", href=page_url, type="text/html")
    newest = max((_changed(r) for r in rows), default=dt.datetime(2000, 1, 1))
    _element(feed, "updated", _stamp(newest))
    author = _element(feed, "author")
    _element(author, "name", "SCS status page")
    for row in rows:
        entry = _element(feed, "entry")
        _element(entry, "title", _title(row))
        _element(entry, "id", f"urn:uuid:{row.id}")
        _element(entry, "link", rel="alternate", href=incident_url.format(id=row.id), type="text/html")
        _element(entry, "updated", _stamp(_changed(row)))
        if row.began_at is not None:
            _element(entry, "published", _stamp(row.began_at))
        lines = [row.description] if row.description else []
        for update in reversed(row.updates[-5:]):
            lines.append(f"{_stamp(update.created_at)} {update.display_name}: {update.description}")
        _element(entry, "content", "\n\n".join(lines) or row.display_name, type="text")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _changed(row: Incident) -> dt.datetime:
    return max([row.updated_at, *(u.created_at for u in row.updates)])


def _title(row: Incident) -> str:
    maintenance = bool(row.impacts) and all(i.severity == 0 for i in row.impacts)
    state = (
        "resolved" if row.ended_at is not None and not maintenance else ("maintenance" if maintenance else "ongoing")
    )
    return f"[{state}] {row.display_name}"


def feed_id(component: uuid.UUID | None) -> str:
    return f"urn:scs-status:{component or 'all'}"
