"""Headers that keep the mock's pages from being framed, sniffed or given foreign scripts.

Every page for people (the dashboard, its fragments, stylesheet and script, and the API's
answers rendered for a browser, V-1) says: nothing frames it (`frame-ancestors 'none'`,
`X-Frame-Options: DENY`, so another site cannot lay the dashboard's buttons under its own:
clickjacking), everything it loads comes from the mock itself (`default-src 'self'`: no
inline script runs), and no type is guessed (`nosniff`). The two pages that must render
without the dashboard's stylesheet (the control-token page, which the token guards, and the
API's plain answer page) share `PAGE_STYLE`, allowed inline by its hash alone.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Response

#: The inline stylesheet of the token page and the API's answer page (http/envelope.py).
PAGE_STYLE = (
    "body{font:15px system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}"
    "pre{background:#f4f4f4;padding:1em;overflow:auto} .bad{color:#b3261e}"
    "input{font:inherit;padding:.2em}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()
POLICY = (
    f"default-src 'self'; style-src 'self' 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def protect(response: Response) -> Response:
    """Sets the headers on one answer for a browser (the caller chooses which)."""
    response.headers.update(HEADERS)
    return response
