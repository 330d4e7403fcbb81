"""What the backend knows about one `/chatkit` request: who asks, and from which page.

The ChatKit SDK does no authentication. FastAPI checks the bearer token, builds this object and
passes it to `server.process(body, context)`; the store scopes data by `reader`, the responder
reads `page`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError, field_validator

# Upper bound for each page field; the header is informative, never trusted.
_MAX_FIELD = 300


class PageContext(BaseModel):
    """The page the reader has open, from the widget's `X-ChatKit-Page` header."""

    path: str = ""
    title: str = ""
    lang: str = ""

    @field_validator("path", "title", "lang", mode="before")
    @classmethod
    def _clip(cls, value: object) -> str:
        return str(value or "")[:_MAX_FIELD]

    @classmethod
    def from_header(cls, raw: str | None) -> "PageContext | None":
        """Parse the header (JSON, non-ASCII escaped as \\uXXXX); None when absent or invalid."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls.model_validate(data) if isinstance(data, dict) else None
        except (ValueError, RecursionError, ValidationError):  # deep nesting: RecursionError
            return None


@dataclass(frozen=True)
class RequestContext:
    reader: str
    page: PageContext | None = None
    # The client's address (see ratelimit.client_address), for per-address limits.
    client: str = ""
    # The site the reader is on: the request's `Origin` when it is an allowed one (site_origin),
    # else "". The corpus's links are paths on that site; ChatKit shows replies in a frame on
    # another origin, where a path would point at ChatKit's host, so they are made absolute.
    origin: str = ""


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def site_origin(header: str | None, allowed: list[str]) -> str:
    """The request's `Origin` if it is a well-formed origin that CORS allows, else ""."""
    origin = (header or "").strip().rstrip("/")
    if not _ORIGIN.match(origin):
        return ""
    return origin if "*" in allowed or origin in allowed else ""
