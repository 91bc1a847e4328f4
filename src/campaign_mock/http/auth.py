"""Who is asking: HTTP Basic with a password or API key, or the session cookie (V-5)."""

from __future__ import annotations

from flask import Request

from ..domain.backend import CampaignBackend
from .envelope import HttpError

SESSION_COOKIE = "sergiosgc_auth"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="campaign-mock", charset="UTF-8"'}


def require_user(request: Request, backend: CampaignBackend) -> str:
    """The authenticated username, or a 401 with a Basic challenge (V-4 step 2)."""
    # Parsing cookies costs more than the rest of this check; most clients send none.
    token = request.cookies.get(SESSION_COOKIE) if "Cookie" in request.headers else None
    if token:
        user = backend.session_user(token)
        if user is not None:
            return user
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        username, password = credentials.username or "", credentials.password or ""
        if backend.check_credentials(username, password):
            return username
        raise unauthorized("Wrong username, password or API key")
    if token:
        raise unauthorized("The session has ended or never existed; log in again")
    raise unauthorized("Authentication required: HTTP Basic or the sergiosgc_auth session cookie")


def unauthorized(message: str) -> HttpError:
    return HttpError(401, "unauthorized", message, CHALLENGE)
