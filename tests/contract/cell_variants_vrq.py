"""One-cell broken variants of the V, R and Q clauses: each breaks its clause in ONE cell of the
clause's domain (one method, endpoint, auth flow, boundary side, body type or repetition) and
behaves as the mock everywhere else, so only a check that judges every cell fails it."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend

from .clause_variants_vrq import (
    INVALID,
    PASSWORD,
    Inner,
    Response,
    _answer_failure,
    _around,
    _envelope,
    _text,
    _when_rewrite,
)
from .middleware import Call, install
from .variants import variant

NOT_FOUND = "not_found"


def _path(environ: dict[str, Any]) -> str:
    return str(environ.get("PATH_INFO", ""))


def _is_item_with_slash(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 4 and parts[1] == "campaign" and parts[2] != "" and parts[3] == ""


# -- R-1p: a trailing slash refused for one method only -----------------------------------


def _slash_refused(method: str) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == method and _is_item_with_slash(_path(environ)):
            return _envelope(404, NOT_FOUND, f"no route for {_path(environ)}")
        return inner()

    return _around(rewrite)


for _method in ("PUT", "DELETE", "HEAD"):
    variant(
        f"r_no_slash_for_{_method.lower()}",
        ("R-1p",),
        ("R-1",),
        f"/campaign/{{id}}/ is a 404 for {_method} only (every other method takes the slash)",
    )(_slash_refused(_method))


# -- V-4: a 401 without `WWW-Authenticate` on one endpoint only -----------------------------


def _no_challenge_on(endpoint: str, method: str | None = None) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        here = _path(environ) == endpoint
        if status == 401 and here and method in (None, environ["REQUEST_METHOD"]):
            headers = [(k, v) for k, v in headers if k.lower() != "www-authenticate"]
        return status, headers, body

    return _around(rewrite)


variant("v_no_challenge_on_logout", ("V-4",), ("V-4",),
        "a 401 from /logout/ has no WWW-Authenticate (every other 401 has it)")(
    _no_challenge_on("/logout/")
)  # fmt: skip
variant("v_no_challenge_on_login", ("V-4",), ("V-4",),
        "a 401 from /login/ (wrong password) has no WWW-Authenticate")(
    _no_challenge_on("/login/")
)  # fmt: skip


# -- V-5 / V-4: one flow or method let through without valid credentials --------------------

BASIC = "Basic " + base64.b64encode(f"demo:{PASSWORD}".encode()).decode()


@variant("v_ended_session_serves_put", ("V-5", "V-4"), ("V-5",),
         "an ended session still authenticates a PUT (every other method: 401)")  # fmt: skip
def _v_ended_session_serves_put(app: Flask) -> None:
    ended: set[str] = set()

    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        cookie = str(environ.get("HTTP_COOKIE", ""))
        if _path(environ) == "/logout/" and cookie:
            answer = inner()
            if answer[0] == 200:
                ended.add(cookie)
            return answer
        if environ["REQUEST_METHOD"] == "PUT" and cookie in ended:
            environ["HTTP_AUTHORIZATION"] = BASIC
            environ.pop("HTTP_COOKIE")
        return inner()

    _around(rewrite)(app)


@variant("v_head_without_credentials", ("V-4", "V-5"), ("V-4",),
         "HEAD /campaign/{id} without credentials is a 200 (GET, PUT, DELETE: 401)")  # fmt: skip
def _v_head_without_credentials(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        anonymous = not environ.get("HTTP_AUTHORIZATION") and not environ.get("HTTP_COOKIE")
        if environ["REQUEST_METHOD"] == "HEAD" and anonymous and _path(environ) != "/":
            environ["HTTP_AUTHORIZATION"] = BASIC
        return inner()

    _around(rewrite)(app)


# -- V-4 routing: one method, path form or id kind answered wrongly ---------------------------


def _is_item(path: str, slash: bool) -> bool:
    parts = path.split("/")
    if slash:
        return _is_item_with_slash(path)
    return len(parts) == 3 and parts[1] == "campaign" and parts[2] != ""


@variant("v_head_405_without_slash", ("V-4",), ("V-4",),
         "HEAD /campaign/{id} is a 405 (HEAD /campaign/{id}/ and GET are answered)")  # fmt: skip
def _v_head_405_without_slash(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == "HEAD" and _is_item(_path(environ), slash=False):
            return _envelope(405, "method_not_allowed")
        return inner()

    _around(rewrite)(app)


@variant("v_options_405_on_missing_id", ("V-4",), ("V-4",),
         "OPTIONS on a campaign id nobody holds (20 digits) is a 405")  # fmt: skip
def _v_options_405_on_missing_id(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        path = _path(environ)
        huge = _is_item(path, slash=path.endswith("/")) and len(path.strip("/")) > 24
        if environ["REQUEST_METHOD"] == "OPTIONS" and huge:
            return _envelope(405, "method_not_allowed")
        return inner()

    _around(rewrite)(app)


@variant("v_get_logout_is_404", ("V-4",), ("V-4",),
         "GET /logout/ is a 404 (every other missing method of every path: 405)")  # fmt: skip
def _v_get_logout_is_404(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == "GET" and _path(environ) == "/logout/":
            return _envelope(404, NOT_FOUND)
        return inner()

    _around(rewrite)(app)


@variant("v_put_collection_slash_is_404", ("V-4",), ("V-4",),
         "PUT /campaign/ is a 404 (PUT /campaign is a 405)")  # fmt: skip
def _v_put_collection_slash_is_404(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == "PUT" and _path(environ) == "/campaign/":
            return _envelope(404, NOT_FOUND)
        return inner()

    _around(rewrite)(app)


@variant("v_absurd_id_delete_needs_credentials", ("V-4",), ("V-4",),
         "DELETE /campaign/abc without credentials is a 401 (other methods: 404)")  # fmt: skip
def _v_absurd_id_delete_needs_credentials(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        anonymous = not environ.get("HTTP_AUTHORIZATION")
        if environ["REQUEST_METHOD"] == "DELETE" and status == 404 and anonymous:
            code, head, text = _envelope(401, "unauthorized")
            return code, [*head, ("WWW-Authenticate", 'Basic realm="x"')], text
        return status, headers, body

    _around(rewrite)(app)


# -- Q-2p: one component of an RFC 3339 `when` read past (or short of) its limit -------------


def _when_variant(name: str, why: str, test: Callable[[str], bool], then: Any) -> None:
    variant(name, ("Q-2p",), ("Q-2",), why)(_when_rewrite(_text(test, then)))


_when_variant(
    "q_second_60_accepted",
    "`:60` seconds outside a leap second roll over to the next minute",
    lambda w: w[16:19] == ":60" and "T23:59:60" not in w,
    lambda w: w[:14] + f"{int(w[14:16]) + 1:02d}:00" + w[19:],
)
_when_variant(
    "q_hour_24_accepted",
    "`T24:00:00` is read as midnight at the end of the day (ISO 8601's 24:00)",
    lambda w: w[10:13] == "T24",
    lambda w: w[:8] + f"{int(w[8:10]) + 1:02d}T00" + w[13:],
)
_when_variant(
    "q_february_29_common_accepted",
    "Feb 29 of a common year rolls over to Mar 1",
    lambda w: w[4:10] == "-02-29" and int(w[:4]) % 4 != 0,
    lambda w: w[:4] + "-03-01" + w[10:],
)
_when_variant(
    "q_offset_24_accepted",
    "an offset of +24:00 is read as +23:59",
    lambda w: w.endswith("+24:00"),
    lambda w: w[:-6] + "+23:59",
)
_when_variant(
    "q_day_31_april_refused",
    "April 30 is refused (the 30-day months are off by one)",
    lambda w: w[4:10] == "-04-30",
    lambda w: INVALID,
)


# -- Q-4: `name`'s limits broken in one method, body type or repetition ----------------------


def _name_on(when: Callable[[Call, str], bool], change: Callable[[str], str | None]) -> Any:
    """`change(name)` where `when(call, name)` holds: a name to store, or None to refuse it."""

    def on_request(call: Call, _b: CampaignBackend) -> None:
        name = call.params().get("name")
        if call.method in ("POST", "PUT") and isinstance(name, str) and when(call, name):
            new = change(name)
            if new is None:
                _answer_failure(call, "invalid", "name")
            else:
                call.set_param("name", new)

    return lambda app: install(app, on_request=on_request)


variant("q_name_255_refused_on_put", ("Q-4",), ("Q-4",),
        "a PUT of a 255-character name is invalid (POST takes it)")(
    _name_on(lambda call, name: call.method == "PUT" and len(name) == 255, lambda name: None)
)  # fmt: skip
variant("q_name_256_accepted_in_json", ("Q-4",), ("Q-4",),
        "a 256-character name in a JSON POST is cut to 255 (form and multipart: invalid)")(
    _name_on(lambda call, name: call.json is not None and call.method == "POST"
             and len(name) == 256, lambda name: name[:255])
)  # fmt: skip
variant("q_empty_name_on_put_accepted", ("Q-4",), ("Q-4",),
        "a PUT of an empty name keeps the old one (POST: invalid)")(
    _name_on(lambda call, name: call.method == "PUT" and name == "",
             lambda name: "kept")
)  # fmt: skip


@variant("q_repeated_long_name_accepted", ("Q-4",), ("Q-4",),
         "the 2nd identical POST of a 256-character name is accepted, cut to 255")  # fmt: skip
def _q_repeated_long_name_accepted(app: Flask) -> None:
    seen: set[tuple[str, str, bytes]] = set()

    def on_request(call: Call, _b: CampaignBackend) -> None:
        name = call.params().get("name")
        if call.method != "POST" or not isinstance(name, str) or len(name) != 256:
            return
        key = (call.method, call.path, call.body)
        if key in seen:
            call.set_param("name", name[:255])
        seen.add(key)

    install(app, on_request=on_request)
