"""Session login and logout with the `sergiosgc_auth` cookie (V-5); sessions end after a
day of real time, and the oldest when 10,000 are open (domain/sessions.py)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from campaign_mock.domain.errors import InvalidError
from campaign_mock.http.auth import SESSION_COOKIE, unauthorized
from campaign_mock.http.context import mock
from campaign_mock.http.envelope import success

blueprint = Blueprint("session", __name__)
_LOGIN_FIELDS = frozenset({"username", "password"})


@blueprint.post("/login/", strict_slashes=False)
def login() -> Response:
    values, errors = g.params.values, g.params.errors_for(_LOGIN_FIELDS)
    for key in ("username", "password"):
        if key in errors:
            continue
        if key not in values:
            errors[key] = ["is required"]
        elif not isinstance(values[key], str) or not values[key]:
            errors[key] = ["must be a non-empty string"]
    if errors:
        raise InvalidError.from_fields(errors)
    username, password = str(values["username"]), str(values["password"])
    token = mock().login(username, password)
    if token is None:
        raise unauthorized("Wrong username, password or API key")
    g.account = username  # with isolation, its world's request journal keeps the login
    response = success({"token": token, "username": username})
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="Lax")
    return response


@blueprint.post("/logout/", strict_slashes=False)
def logout() -> Response:
    user: str = g.user  # the before-request hook authenticated it (V-4 step 2)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        mock().logout(token)
    response = success({"username": user})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
