"""Who may change the mock through a browser: the one guard of the control API (`/_mock/`)
and the dashboard's buttons against pages of other sites (CSRF).

Any page a developer has open can make the browser send a "simple" cross-site request
(`text/plain`, a form, no body) to a mock on loopback. Two checks, for every request that
changes something (POST, PUT, PATCH, DELETE):

- its `Origin` (or, without one, its `Referer`), when the browser sends it, must be this
  mock's own (`scheme://Host`); `Origin: null` (a sandboxed frame) is foreign. Browsers send
  `Origin` with every cross-site POST; curl and test clients send neither and pass;
- on the control API, the body must be JSON (`application/json`, `+json`), which no page
  can send to another site without a CORS pre-flight the mock never grants, or the request
  carries the control token. A change with no body and no `Content-Type` (`curl -X POST`,
  `requests.post(url)`) passes: the browser's `Origin` is what judges it. The dashboard's
  buttons post forms; they are its own page's, judged by `Origin` and, with a token, by a
  SameSite=Strict cookie (http/dashboard/guard.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request

from campaign_mock.http.auth import has_control_token
from campaign_mock.http.envelope import HttpError

#: The methods that change something; GET, HEAD and OPTIONS only read.
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def same_origin(request: Request) -> bool:
    """Whether the page that sent `request` is this mock's own (or no browser sent it)."""
    origin = request.headers.get("Origin")
    if origin is None:
        origin = request.headers.get("Referer")
        if origin is None:  # curl, a test client, an old browser: no page sent it
            return True
    parts = urlsplit(origin.strip())
    return bool(parts.netloc) and parts.netloc.lower() == request.host.lower()


def refuse_foreign_origin(request: Request) -> None:
    """A 403 envelope for a change sent by another site's page."""
    if request.method in CHANGES and not same_origin(request):
        raise HttpError(
            403,
            "foreign_origin",
            "Origin: this mock takes changes only from its own pages "
            f"(Origin or Referer {request.host}), never from another site's",
        )


def check_control_change(request: Request, token: str | None) -> None:
    """A change through `/_mock/`: from no foreign page, and JSON or with the control token."""
    if request.method not in CHANGES:
        return
    refuse_foreign_origin(request)
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return
    if not mimetype and not request.content_length and not request.get_data(cache=True):
        return
    if has_control_token(request, token):
        return
    raise HttpError(
        415,
        "unsupported_media_type",
        f"Content-Type {mimetype or '(none)'}: the control API takes changes as JSON "
        "(Content-Type: application/json), or with the control token",
    )
