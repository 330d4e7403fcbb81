"""What the backend knows about one `/chatkit` request: who asks, and from which page.

The ChatKit SDK does no authentication. FastAPI checks the bearer token, builds this object and
passes it to `server.process(body, context)`; the store scopes data by `reader`, the responder
reads `page`.
"""

from __future__ import annotations

import json
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
