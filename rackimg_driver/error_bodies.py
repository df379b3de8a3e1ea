"""The words of an error answer, whatever its shape (an API fault in JSON, Keystone's
and Glance's JSON, an HTML page from Glance or a proxy), for an exception's message.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

import html
import json
import re

from rackimg_driver.errors import excerpt

__all__ = ["fault_message", "page_text"]


def page_text(body: str) -> str:
    """The words of an HTML error page (Glance, proxies): after its heading, without tags."""
    if "<" not in body or ">" not in body:
        return " ".join(body.split())
    lowered = body.lower()
    start = lowered.find("</h1>")
    end = lowered.find("</body>")
    if start != -1:
        body = body[start + len("</h1>") : end if end > start else None]
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return " ".join(text.split()) or body


def fault_message(body: str) -> str:
    """The message of an API fault body ``{"itemNotFound": {"code": 404, "message": ...}}``."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return excerpt(page_text(body)) or "(empty body)"
    if isinstance(parsed, dict):
        # Nova and Rackspace: {"itemNotFound": {"message": ...}}; Keystone: {"error": {...}};
        # Glance: {"message": "... <br /><br />", "code": "403 Forbidden", "title": ...}.
        candidates = [parsed, *parsed.values()]
        for fault in candidates:
            if isinstance(fault, dict) and isinstance(fault.get("message"), str):
                return excerpt(page_text(fault["message"]))
    return excerpt(body)
