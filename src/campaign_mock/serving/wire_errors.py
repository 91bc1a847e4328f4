"""Waitress's own refusals, in DUO's envelope (CONTRACT.md V-4).

Waitress answers some requests before the app sees them: a header block it cannot parse, a
Transfer-Encoding other than chunked, headers or a body over its limits. Out of the box those
answers are plain text; V-4 wants every failure before the application in the envelope, and
a client's bad framing is its error, never the server's 5xx.
"""

from __future__ import annotations

import json

from waitress.task import ErrorTask
from waitress.utilities import (
    Error,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    ServerNotImplemented,
)

from campaign_mock.http.envelope import failure_document

#: (status line, wire code) by waitress's error class; anything else is a bad request.
_ANSWERS: dict[type[Error], tuple[str, str]] = {
    RequestHeaderFieldsTooLarge: ("431 Request Header Fields Too Large", "too_large"),
    RequestEntityTooLarge: ("413 Request Entity Too Large", "too_large"),
    # RFC 9112 suggests 501 for an unknown transfer coding; V-4 reads it as a body that
    # cannot be parsed, so the client gets the 400 it can act on.
    ServerNotImplemented: ("400 Bad Request", "malformed"),
}


class EnvelopeErrorTask(ErrorTask):  # type: ignore[misc]
    """Writes waitress's error as `{"success": false, "data": {...}}` JSON."""

    def execute(self) -> None:
        error: Error = self.request.error
        status, code = answer_for(error)
        body = json.dumps(failure_document(code, str(error.body)), separators=(",", ":"))
        encoded = body.encode()
        self.status = status
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(encoded)
        self.write(encoded)


def answer_for(error: Error) -> tuple[str, str]:
    """The status line and wire code for one of waitress's refusals."""
    for kind, answer in _ANSWERS.items():
        if isinstance(error, kind):
            return answer
    if error.code >= 500:
        return f"{error.code} {error.reason}", "internal"
    return "400 Bad Request", "malformed"
