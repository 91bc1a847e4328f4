"""Who may see the dashboard: whoever may use `/_mock/` (auth.require_control_token).

With a control token set, a browser cannot send `X-Mock-Token` by itself, so the dashboard
also takes the token once as `?token=...`: that sets a cookie (HttpOnly, SameSite=Strict,
holding a digest of the token, not the token) and redirects to the same page without it,
so the token stays out of the address bar and the history. The cookie opens the dashboard's
own routes only, never the rest of `/_mock/`. Its POSTs (the buttons), token or not, must
come from the dashboard's own origin: a SameSite=Strict cookie is not sent cross-site, and
`Origin` (or `Referer`), when a browser sends it, must be this mock (http/guard.py, the
control API's guard too), so another site's page cannot press them on a developer's mock.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from flask import Request, Response, render_template

from campaign_mock.http.auth import CONTROL_CHALLENGE, require_control_token
from campaign_mock.http.envelope import HttpError, failure, from_http_error, wants_html
from campaign_mock.http.guard import refuse_foreign_origin
from campaign_mock.http.page_headers import PAGE_STYLE

COOKIE = "campaign_mock_dashboard"
#: `/` is the dashboard for a browser only; to any other client it is what it always was,
#: a path the API does not have (V-1: JSON unless `text/html` is preferred; V-4: a 404).
HOME = "dashboard.home"
NOT_FOR_MACHINES = (
    "No such resource: /; open it in a browser for the mock's dashboard (Accept: text/html)"
)


def cookie_value(token: str) -> str:
    """What the cookie holds: a keyed digest, so the cookie jar never holds the token."""
    return hmac.new(token.encode(), b"campaign-mock dashboard", hashlib.sha256).hexdigest()


def check(request: Request, token: str | None) -> Response | None:
    """None when the request may go on; else the answer: `/` for a client that is no
    browser (a 404 envelope, before any credentials), a redirect that sets the cookie,
    a 403 for a POST from another origin, or a 401: a page asking for the token for a
    browser, the control API's envelope for anything else (V-1)."""
    if request.endpoint == HOME and not wants_html():
        return failure(404, "not_found", NOT_FOR_MACHINES)
    refuse_foreign_origin(request)  # token or not: no CSRF
    if token is None:
        return None
    given = request.args.get("token")
    if given is not None and request.method in {"GET", "HEAD"}:
        if not hmac.compare_digest(given.encode(), token.encode()):
            wrong = HttpError(
                401, "unauthorized", "?token= is not the control token", CONTROL_CHALLENGE
            )
            return _refuse(wrong)
        kept = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
        target = request.path + (f"?{urlencode(kept)}" if kept else "")
        answer = Response(status=303, headers={"Location": target})
        answer.set_cookie(COOKIE, cookie_value(token), httponly=True, samesite="Strict", path="/")
        return answer
    cookie = request.cookies.get(COOKIE) if "Cookie" in request.headers else None
    if cookie is not None and hmac.compare_digest(cookie.encode(), cookie_value(token).encode()):
        return None
    try:
        require_control_token(request, token)
    except HttpError as refused:
        return _refuse(refused)
    return None


def _refuse(error: HttpError) -> Response:
    """The control API's 401 envelope; for a browser, a page that asks for the token."""
    if not wants_html():
        return from_http_error(error)
    wrong = error.message.startswith("?token=")
    page = render_template("dashboard/token.html", wrong=wrong, page_style=PAGE_STYLE)
    return Response(page, 401, CONTROL_CHALLENGE)
