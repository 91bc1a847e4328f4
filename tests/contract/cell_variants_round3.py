"""One-cell broken variants of the clauses given domains in the third round (V-4, V-5, R-1,
R-3, Q-4, Q-5, M-1): each breaks its clause in ONE cell (one method, path form, body type,
status, state or way of being wrong) and behaves as the mock everywhere else."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.http.context import mock_of

from .cell_variants_vrq2 import _deleted
from .clause_variants_vrq import (
    ONE_MIB,
    Inner,
    Response,
    _answer_failure,
    _around,
    _basic,
    _body,
    _broken_stream,
    _envelope,
    _existing,
    _never_created,
)
from .middleware import Call, install
from .variants import variant

Doc = dict[str, Any]
API_KEY = "demo-api-key-0123456789abcdef"
FUTURE = 4_102_444_800


def _state(backend: Any, ident: int | None) -> str | None:
    for campaign in backend.campaigns():
        if campaign.id == ident:
            return str(campaign.state.value)
    return None


def _kind(call: Call) -> str:
    kind = call.content_type.split(";")[0].strip().lower()
    return {"multipart/form-data": "multipart", "application/json": "JSON"}.get(kind, "form")


def _requests(
    name: str, breaks: str, why: str, change: Callable[[Call, CampaignBackend], None]
) -> None:
    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_request=change))


def _responses(
    name: str, breaks: str, why: str, change: Callable[[Call, int, Doc, CampaignBackend], int]
) -> None:
    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_response=change))


def _arounds(
    name: str, breaks: str, why: str, rewrite: Callable[[dict[str, Any], Inner], Response]
) -> None:
    variant(name, (breaks,), (breaks,), why)(_around(rewrite))


# -- V-4 ---------------------------------------------------------------------------------------


def _multipart_mib(environ: dict[str, Any], inner: Inner) -> Response:
    multipart = str(environ.get("CONTENT_TYPE", "")).startswith("multipart/form-data")
    if multipart and int(environ.get("CONTENT_LENGTH") or 0) == ONE_MIB:
        _body(environ)
        return _envelope(413, "too_large")
    return inner()


_arounds(
    "v_one_mib_multipart_is_413",
    "V-4",
    "a multipart body of exactly 1 MiB is a 413 (form and JSON: not)",
    _multipart_mib,
)


def _missing_delete_slash(call: Call, status: int, doc: Doc, b: CampaignBackend) -> int:
    slash = call.path.endswith("/")
    if call.method == "DELETE" and slash and status == 404 and _never_created(b, call.campaign_id):
        return 200
    return status


_responses(
    "v_missing_id_delete_slash_is_200",
    "V-4",
    "DELETE /campaign/{missing id}/ is a 200 `not_found` (elsewhere: 404)",
    _missing_delete_slash,
)


def _deleted_get_slash(call: Call, status: int, doc: Doc, b: CampaignBackend) -> int:
    gone = _deleted(b, call.campaign_id)
    if call.method == "GET" and call.path.endswith("/") and status == 404 and gone:
        return 410
    return status


_responses(
    "v_deleted_id_get_slash_is_410",
    "V-4",
    "GET /campaign/{deleted id}/ is a 410 (elsewhere: 404)",
    _deleted_get_slash,
)


def _plain_415(environ: dict[str, Any], inner: Inner) -> Response:
    status, headers, body = inner()
    if status == 415:
        return 415, [("Content-Type", "text/plain")], b"Unsupported Media Type"
    return status, headers, body


_arounds(
    "v_415_is_plain_text", "V-4", "a 415 is plain text (other failures: the envelope)", _plain_415
)


def _options_500(environ: dict[str, Any], inner: Inner) -> Response:
    if environ["REQUEST_METHOD"] == "OPTIONS":
        return _envelope(500, "internal")
    return inner()


_arounds("v_options_is_500", "V-4", "every OPTIONS is a 500 (other methods: fine)", _options_500)


@variant(
    "v_patch_drops_the_connection",
    ("V-4",),
    ("V-4",),
    "a PATCH drops the connection mid-answer (other methods: fine)",
)
def _v_patch_drops(app: Flask) -> None:
    inner_app = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "PATCH":
            start_response(
                "405 METHOD NOT ALLOWED",
                [("Content-Type", "application/json"), ("Content-Length", "99")],
            )
            return _broken_stream()
        return inner_app(environ, start_response)  # type: ignore[no-any-return]

    app.wsgi_app = wrapped  # type: ignore[method-assign]


# -- V-5 ---------------------------------------------------------------------------------------


def _key_delete(environ: dict[str, Any], inner: Inner) -> Response:
    basic = _basic(environ)
    if environ["REQUEST_METHOD"] == "DELETE" and basic is not None and basic[1] == API_KEY:
        status, headers, body = _envelope(401, "unauthorized")
        return status, [*headers, ("WWW-Authenticate", 'Basic realm="x"')], body
    return inner()


_arounds(
    "v5_api_key_refused_on_delete",
    "V-5",
    "Basic with an API key is refused on DELETE (on other methods: accepted)",
    _key_delete,
)


def _unknown_user_200(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
    user = call.params().get("username")
    if call.path.rstrip("/") == "/login" and status == 401 and user not in (None, "demo"):
        return 200
    return status


_responses(
    "v5_unknown_user_login_is_200",
    "V-5p",
    "a /login/ with an unknown username is a 200 failure (a wrong password: 401)",
    _unknown_user_200,
)


# -- R-1, R-3 ----------------------------------------------------------------------------------


def _delete_needs_slash(call: Call, b: CampaignBackend) -> None:
    bare = call.campaign_id is not None and not call.path.endswith("/")
    if call.method == "DELETE" and bare and _existing(b, call.campaign_id):
        call.answer = (
            404,
            {
                "success": False,
                "data": {"error": "no such path", "code": "not_found", "errors": {}},
            },
        )


_requests(
    "r1_item_delete_needs_slash",
    "R-1",
    "DELETE /campaign/{id} without the slash is a 404 (GET, PUT: fine)",
    _delete_needs_slash,
)


@variant(
    "r3_delete_in_ready_is_204",
    ("R-3",),
    ("R-3",),
    "DELETE of a READY campaign answers 204 with no body (other states: the campaign)",
)
def _r3_ready_204(app: Flask) -> None:
    backend = mock_of(app).root

    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        path = str(environ.get("PATH_INFO", "")).strip("/").split("/")
        ident = int(path[1]) if len(path) == 2 and path[1].isdigit() else None
        ready = environ["REQUEST_METHOD"] == "DELETE" and _state(backend, ident) == "READY"
        status, headers, body = inner()
        if ready and status == 200:
            return 204, [], b""
        return status, headers, body

    _around(rewrite)(app)


# -- Q-4 ---------------------------------------------------------------------------------------


def _q4_request(
    body: str, method: str, test: Callable[[Call], bool], change: Callable[[Call], None]
) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method == method and _kind(call) == body and test(call):
            change(call)

    return on_request


def _callback(call: Call) -> str:
    value = call.params().get("event_callback")
    return value if isinstance(value, str) else ""


_requests(
    "q4_json_post_name_optional",
    "Q-4",
    "a JSON POST without `name` gets a default one",
    _q4_request(
        "JSON",
        "POST",
        lambda c: "name" not in c.params(),
        lambda c: c.set_param("name", "untitled"),
    ),
)
_requests(
    "q4_form_post_domain_optional",
    "Q-4",
    "a form POST without `domain` gets domain 1",
    _q4_request(
        "form", "POST", lambda c: "domain" not in c.params(), lambda c: c.set_param("domain", "1")
    ),
)
_requests(
    "q4_json_post_list_optional",
    "Q-4",
    "a JSON POST without `list` gets list 1",
    _q4_request(
        "JSON", "POST", lambda c: "list" not in c.params(), lambda c: c.set_param("list", 1)
    ),
)


def _schedule(call: Call) -> None:
    call.set_param("state", "SCHEDULED")
    call.set_param("when", FUTURE)


_requests(
    "q4_json_state_defaults_scheduled",
    "Q-4",
    "a JSON POST without `state` makes a SCHEDULED campaign (form: DRAFT)",
    _q4_request(
        "JSON", "POST", lambda c: "state" not in c.params() and "name" in c.params(), _schedule
    ),
)
_requests(
    "q4_json_put_relative_callback",
    "Q-4",
    "a relative `event_callback` in a JSON PUT is made absolute",
    _q4_request(
        "JSON",
        "PUT",
        lambda c: _callback(c).startswith("/"),
        lambda c: c.set_param("event_callback", "http://hooks.example" + _callback(c)),
    ),
)
_requests(
    "q4_form_post_ftp_callback",
    "Q-4",
    "an ftp `event_callback` in a form POST is taken",
    _q4_request(
        "form",
        "POST",
        lambda c: _callback(c).startswith("ftp:"),
        lambda c: c.set_param("event_callback", "http" + _callback(c)[3:]),
    ),
)
_requests(
    "q4_form_put_http_refused",
    "Q-4",
    "an http `event_callback` in a form PUT is invalid",
    _q4_request(
        "form",
        "PUT",
        lambda c: _callback(c).startswith("http:"),
        lambda c: _answer_failure(c, "invalid", "event_callback"),
    ),
)
_requests(
    "q4_json_post_long_callback_cut",
    "Q-4",
    "an `event_callback` over 2048 characters in a JSON POST is cut to 2048",
    _q4_request(
        "JSON",
        "POST",
        lambda c: len(_callback(c)) > 2048,
        lambda c: c.set_param("event_callback", _callback(c)[:2048]),
    ),
)
_requests(
    "q4_json_put_2048_callback_refused",
    "Q-4",
    "an `event_callback` of exactly 2048 characters in a JSON PUT is invalid",
    _q4_request(
        "JSON",
        "PUT",
        lambda c: len(_callback(c)) == 2048,
        lambda c: _answer_failure(c, "invalid", "event_callback"),
    ),
)


def _multipart_put_long_bytes(environ: dict[str, Any], inner: Inner) -> Response:
    multipart = str(environ.get("CONTENT_TYPE", "")).startswith("multipart/form-data")
    if environ["REQUEST_METHOD"] == "PUT" and multipart:
        body = _body(environ)
        found = re.search(rb'name="name"\r\n\r\n([^\r]*)\r\n', body)
        if found and len(found.group(1)) > 255:
            return _envelope(200, "invalid")
    return inner()


_arounds(
    "q4_multipart_put_name_limit_in_bytes",
    "Q-4",
    "a multipart PUT counts `name`'s 255 in bytes (elsewhere: characters)",
    _multipart_put_long_bytes,
)


# -- Q-5, M-1 ----------------------------------------------------------------------------------


def _kept_in(
    state: str, name: str, test: Callable[[Any], bool]
) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, b: CampaignBackend) -> None:
        if call.method != "PUT" or call.json is None or name not in call.json:
            return
        if test(call.json[name]) and _state(b, call.campaign_id) == state:
            call.drop_param(name)

    return on_request


_requests(
    "q5_null_callback_kept_in_ready",
    "Q-5p",
    "JSON `event_callback: null` keeps the callback of a READY campaign",
    _kept_in("READY", "event_callback", lambda v: v is None),
)
_requests(
    "q5_empty_segments_kept_in_scheduled",
    "Q-5p",
    "JSON `segments: []` keeps the segments of a SCHEDULED campaign",
    _kept_in("SCHEDULED", "segments", lambda v: v == []),
)


def _ready_named_queued(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
    data = doc.get("data")
    if doc.get("success") is True and isinstance(data, dict) and data.get("state") == "READY":
        data["state"] = "QUEUED"
    return status


_responses("m1_ready_reads_queued", "M-1", "a READY campaign reads as QUEUED", _ready_named_queued)
