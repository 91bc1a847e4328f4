"""Broken variants, each breaking one clause of CONTRACT.md's V, R and Q rules (the clause table:
campaign_contract/coverage/{V,R,Q}.yaml names them). Each changes one behaviour of the mock and
nothing else, so the check that judges the clause is shown able to fail it."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import State
from campaign_mock.http.context import mock_of

from .middleware import Call, install
from .variants import FUTURE, _campaign, _failure, _state, variant

# -- seams: a whole-response wrapper (headers, non-JSON bodies), and Call rewrites --------

Response = tuple[int, list[tuple[str, str]], bytes]
Inner = Callable[[], Response]
Around = Callable[[dict[str, Any], Inner], Response]
JSON_TYPE = [("Content-Type", "application/json")]
ONE_MIB = 1024 * 1024


def _around(rewrite: Around) -> Callable[[Flask], None]:
    """Wrap the mock's WSGI app: `rewrite(environ, inner)` answers, calling `inner()` or not."""

    def apply(app: Flask) -> None:
        inner_app = app.wsgi_app

        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO", "").startswith("/_mock/"):
                return inner_app(environ, start_response)  # type: ignore[no-any-return]

            def inner() -> Response:
                captured: dict[str, Any] = {}

                def capture(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
                    captured["status"], captured["headers"] = status, headers
                    return lambda data: None

                body = b"".join(inner_app(environ, capture))
                return int(captured["status"].split()[0]), list(captured["headers"]), body

            status, headers, body = rewrite(environ, inner)
            kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
            start_response(
                f"{status} {HTTPStatus(status).phrase}",
                [*kept, ("Content-Length", str(len(body)))],
            )
            return [body]

        app.wsgi_app = wrapped  # type: ignore[method-assign]

    return apply


def _envelope(status: int, code: str, error: str = "refused") -> Response:
    document = {"success": False, "data": {"error": error, "code": code, "errors": {}}}
    return status, list(JSON_TYPE), json.dumps(document).encode()


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read and put back for the mock."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _basic(environ: dict[str, Any]) -> tuple[str, str] | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except ValueError:
        return None
    return user, secret


def _anonymous(environ: dict[str, Any]) -> bool:
    return not environ.get("HTTP_AUTHORIZATION") and "sergiosgc_auth" not in environ.get(
        "HTTP_COOKIE", ""
    )


def _on_response(
    change: Callable[[Call, int, dict[str, Any], CampaignBackend], int],
) -> Callable[[Flask], None]:
    return lambda app: install(app, on_response=change)


def _on_request(change: Callable[[Call, CampaignBackend], None]) -> Callable[[Flask], None]:
    return lambda app: install(app, on_request=change)


def _answer_failure(call: Call, code: str, field: str = "body") -> None:
    call.answer = (
        200,
        {"success": False, "data": {"error": "refused", "code": code, "errors": {field: ["no"]}}},
    )


def _existing(backend: CampaignBackend, ident: int | None) -> bool:
    return ident is not None and any(c.id == ident for c in backend.campaigns())


def _never_created(backend: CampaignBackend, ident: int | None) -> bool:
    return ident is not None and ident >= backend.next_id


# -- V-1: JSON by Accept ----------------------------------------------------------------

HTML = [("Content-Type", "text/html; charset=utf-8")]


def _html_when(accepts: Callable[[str | None], bool]) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        if (
            environ["REQUEST_METHOD"] == "GET"
            and status == 404
            and accepts(environ.get("HTTP_ACCEPT"))
        ):
            return status, list(HTML), b"<html><body><h1>Not found</h1></body></html>"
        return status, headers, body

    return _around(rewrite)


variant("v_html_for_accept_json", ("V-1",), ("V-1",), "a 404 for Accept: application/json is HTML")(
    _html_when(lambda accept: accept == "application/json")
)
variant("v_html_without_accept", ("V-1p",), ("V-1",), "a 404 without Accept is an HTML page")(
    _html_when(lambda accept: accept is None)
)
variant("v_html_for_any_accept", ("V-1p",), ("V-1",), "a 404 for Accept: */* is an HTML page")(
    _html_when(lambda accept: accept == "*/*")
)


# -- V-2: the envelope ------------------------------------------------------------------


@variant("v_success_as_text", ("V-2",), ("robustness",), 'a GET answers "success": "true"')
def _v_success_as_text(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        if call.method == "GET" and doc.get("success") is True:
            doc["success"] = "true"
        return status

    install(app, on_response=change)


@variant("v_data_not_object", ("V-2",), ("robustness",), "a 405 answers data as a list")
def _v_data_not_object(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        if status == 405:
            doc["data"] = [doc.get("data")]
        return status

    install(app, on_response=change)


# -- V-3: application failures ----------------------------------------------------------


def _status_for_code(code: str, new_status: int) -> Callable[[Flask], None]:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        return new_status if status == 200 and failure and failure.get("code") == code else status

    return _on_response(change)


variant("v_reference_is_404", ("V-3",), ("V-3",), "an unresolved reference answers HTTP 404")(
    _status_for_code("reference", 404)
)
variant("v_conflict_is_409", ("V-3",), ("V-3",), "a state-machine conflict answers HTTP 409")(
    _status_for_code("conflict", 409)
)


@variant("v_conflict_is_success", ("V-3",), ("V-3",), "a conflict answers success: true")
def _v_conflict_is_success(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if failure is not None and failure.get("code") == "conflict":
            doc["success"] = True
        return status

    install(app, on_response=change)


@variant("v_error_is_a_list", ("V-3",), ("V-3",), "data.error is a list of texts, not a text")
def _v_error_is_a_list(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if status == 200 and failure is not None:
            failure["error"] = [failure.get("error")]
        return status

    install(app, on_response=change)


@variant("v_errors_is_text", ("V-3p",), ("V-3",), "data.errors is one text, not a map")
def _v_errors_is_text(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if status == 200 and failure is not None and failure.get("code") == "invalid":
            failure["errors"] = str(failure.get("error"))
        return status

    install(app, on_response=change)


@variant("v_errors_name_no_field", ("V-3p",), ("V-3",), "data.errors names no offending field")
def _v_errors_name_no_field(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if (
            status == 200
            and failure is not None
            and failure.get("code") in ("invalid", "reference")
        ):
            failure["errors"] = {"body": [str(failure.get("error"))]}
        return status

    install(app, on_response=change)


def _renamed_code(code: str, other: str) -> Callable[[Flask], None]:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if failure is not None and failure.get("code") == code:
            failure["code"] = other
        return status

    return _on_response(change)


for _code, _other, _only in (
    ("invalid", "validation_error", "V-3"),
    ("reference", "not_found", "V-3"),
    ("conflict", "invalid_state", "V-3"),
    ("not_found", "missing", "robustness"),
    ("method_not_allowed", "not_allowed", "robustness"),
    ("unauthorized", "forbidden", "robustness"),
    ("too_large", "payload_too_large", "robustness"),
    ("unsupported_media_type", "unsupported", "robustness"),
    ("malformed", "bad_request", "robustness"),
):
    variant(f"v_code_{_code}_renamed", ("V-3p",), (_only,), f"code `{_code}` is `{_other}`")(
        _renamed_code(_code, _other)
    )


# -- V-4: statuses before the application, their order ----------------------------------


def _is_item(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[0] == "campaign"


@variant("v_unknown_path_is_405", ("V-4",), ("robustness",), "a path that does not exist is 405")
def _v_unknown_path_is_405(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        if status == 404 and not call.path.rstrip("/").startswith("/campaign"):
            failure = _failure(doc) or {}
            failure["code"] = "method_not_allowed"
            return 405
        return status

    install(app, on_response=change)


@variant("v_zero_id_reaches_app", ("V-4",), ("robustness",), "/campaign/0 is a 200 `invalid`")
def _v_zero_id_reaches_app(app: Flask) -> None:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if _is_item(call.path) and call.path.strip("/").split("/")[1] in ("0", "-1"):
            _answer_failure(call, "invalid", "id")

    install(app, on_request=on_request)


@variant("v_unknown_method_is_404", ("V-4",), ("robustness",), "PATCH answers 404, not 405")
def _v_unknown_method_is_404(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        if status == 405 and call.method == "PATCH":
            (_failure(doc) or {})["code"] = "not_found"
            return 404
        return status

    install(app, on_response=change)


def _method_refused(method: str) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == method and _is_item(environ.get("PATH_INFO", "")):
            return _envelope(405, "method_not_allowed")
        return inner()

    return _around(rewrite)


variant("v_head_is_405", ("V-4",), ("robustness",), "HEAD on /campaign/{id} is a 405")(
    _method_refused("HEAD")
)
variant("v_options_is_405", ("V-4",), ("robustness",), "OPTIONS on /campaign/{id} is a 405")(
    _method_refused("OPTIONS")
)


def _unauthorized_as(status_for: Callable[[dict[str, Any]], int | None]) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        new = status_for(environ) if status == 401 else None
        if new is None:
            return status, headers, body
        return _envelope(new, "unauthorized")

    return _around(rewrite)


variant("v_no_credentials_is_403", ("V-4",), ("robustness",), "no credentials answer 403")(
    _unauthorized_as(lambda environ: 403 if _anonymous(environ) else None)
)
variant("v_wrong_credentials_is_403", ("V-4",), ("robustness",), "wrong credentials answer 403")(
    _unauthorized_as(lambda environ: None if _anonymous(environ) else 403)
)


@variant("v_no_basic_challenge", ("V-4",), ("robustness",), "a 401 has no WWW-Authenticate")
def _v_no_basic_challenge(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        if status == 401:
            headers = [(k, v) for k, v in headers if k.lower() != "www-authenticate"]
        return status, headers, body

    _around(rewrite)(app)


@variant("v_big_body_is_400", ("V-4",), ("robustness",), "a body over 1 MiB is a 400, not 413")
def _v_big_body_is_400(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        return _envelope(400, "malformed") if status == 413 else (status, headers, body)

    _around(rewrite)(app)


@variant("v_limit_is_one_mb", ("V-4",), ("robustness",), "413 from 1,000,000 bytes (MB, not MiB)")
def _v_limit_is_one_mb(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if int(environ.get("CONTENT_LENGTH") or 0) > 1_000_000 and not _anonymous(environ):
            return _envelope(413, "too_large")
        return inner()

    _around(rewrite)(app)


@variant("v_other_type_is_400", ("V-4",), ("robustness",), "text/plain bodies are 400, not 415")
def _v_other_type_is_400(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        return _envelope(400, "malformed") if status == 415 else (status, headers, body)

    _around(rewrite)(app)


def _json_kind(body: bytes) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return "broken"
    return "object" if isinstance(value, dict) else "other"


def _json_body_answered(kind: str) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        typed = environ.get("CONTENT_TYPE", "").startswith("application/json")
        if typed and not _anonymous(environ) and environ["REQUEST_METHOD"] in ("POST", "PUT"):
            body = _body(environ)
            if body and len(body) <= ONE_MIB and _json_kind(body) == kind:
                document = {"success": False, "data": {"error": "bad", "code": "invalid"}}
                document["data"]["errors"] = {"body": ["not a campaign"]}
                return 200, list(JSON_TYPE), json.dumps(document).encode()
        return inner()

    return _around(rewrite)


variant("v_broken_json_is_200", ("V-4",), ("robustness",), "broken JSON is a 200 `invalid`")(
    _json_body_answered("broken")
)
variant("v_json_array_is_200", ("V-4",), ("robustness",), "a JSON array body is a 200 `invalid`")(
    _json_body_answered("other")
)


@variant("v_broken_multipart_is_200", ("V-4",), ("robustness",), "broken multipart is a 200")
def _v_broken_multipart_is_200(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        if status == 400 and environ.get("CONTENT_TYPE", "").startswith("multipart/"):
            document = {"success": False, "data": {"error": "bad", "code": "invalid", "errors": {}}}
            return 200, list(JSON_TYPE), json.dumps(document).encode()
        return status, headers, body

    _around(rewrite)(app)


@variant("v_missing_id_is_200", ("V-4",), ("robustness",), "an id never given is a 200 failure")
def _v_missing_id_is_200(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        failure = _failure(doc)
        unknown = _never_created(b, call.campaign_id)
        return 200 if status == 404 and unknown and failure is not None else status

    install(app, on_response=change)


@variant("v_deleted_id_is_410", ("V-4",), ("robustness",), "a deleted campaign's id is 410 Gone")
def _v_deleted_id_is_410(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        ident = call.campaign_id
        deleted = ident is not None and not _never_created(b, ident) and not _existing(b, ident)
        return 410 if status == 404 and deleted else status

    install(app, on_response=change)


@variant("v_auth_before_routing", ("V-4",), ("robustness",), "no credentials: 401 before 404/405")
def _v_auth_before_routing(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        if status in (404, 405) and _anonymous(environ):
            code, head, text = _envelope(401, "unauthorized")
            return code, [*head, ("WWW-Authenticate", 'Basic realm="x"')], text
        return status, headers, body

    _around(rewrite)(app)


@variant("v_body_before_auth", ("V-4",), ("robustness",), "no credentials, broken JSON: a 400")
def _v_body_before_auth(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        typed = environ.get("CONTENT_TYPE", "").startswith("application/json")
        if typed and _anonymous(environ) and environ["REQUEST_METHOD"] in ("POST", "PUT"):
            body = _body(environ)
            if body and len(body) <= ONE_MIB and _json_kind(body) == "broken":
                return _envelope(400, "malformed")
        return inner()

    _around(rewrite)(app)


@variant("v_missing_id_before_body", ("V-4",), ("robustness",), "PUT to an unknown id: 404 first")
def _v_missing_id_before_body(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == "PUT" and not _anonymous(environ):
            ident = Call("PUT", environ.get("PATH_INFO", ""), "", b"").campaign_id
            backend: CampaignBackend = mock_of(app).root
            if _never_created(backend, ident):
                return _envelope(404, "not_found")
        return inner()

    _around(rewrite)(app)


@variant(
    "v_application_before_missing_id",
    ("V-4",),
    ("robustness",),
    "PUT of an invalid name to an unknown id: a 200 `invalid`, not 404",
)
def _v_application_before_missing_id(app: Flask) -> None:
    def on_request(call: Call, b: CampaignBackend) -> None:
        name = call.params().get("name")
        if call.method == "PUT" and _never_created(b, call.campaign_id) and name == "":
            _answer_failure(call, "invalid", "name")

    install(app, on_request=on_request)


@variant("v_drop_huge_id", ("V-4",), ("robustness",), "a 20-digit id drops the connection")
def _v_drop_huge_id(app: Flask) -> None:
    inner_app = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if _is_item(path) and len(path.strip("/").split("/")[1]) >= 20:
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", "99")]
            )
            return _broken_stream()
        return inner_app(environ, start_response)  # type: ignore[no-any-return]

    app.wsgi_app = wrapped  # type: ignore[method-assign]


def _broken_stream() -> Iterable[bytes]:
    yield b'{"success": '
    raise ConnectionAbortedError("the planted bug: the id overflows")


@variant("v_405_is_plain_text", ("V-4",), ("robustness",), "a 405 is plain text, no envelope")
def _v_405_is_plain_text(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        if status == 405:
            return 405, [("Content-Type", "text/plain")], b"Method Not Allowed"
        return status, headers, body

    _around(rewrite)(app)


# -- V-5: authentication ----------------------------------------------------------------

PASSWORD = "demo-password"


def _refuse_basic(refused: Callable[[str], bool]) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        basic = _basic(environ)
        if basic is not None and refused(basic[1]) and basic[0] == "demo":
            code, head, text = _envelope(401, "unauthorized")
            return code, [*head, ("WWW-Authenticate", 'Basic realm="x"')], text
        return inner()

    return _around(rewrite)


variant("v_api_key_refused", ("V-5",), ("V-5",), "Basic with an API key is refused")(
    _refuse_basic(lambda secret: secret != PASSWORD)
)


def _login_rewrite(change: Callable[[Response], Response]) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        answer = inner()
        return change(answer) if environ.get("PATH_INFO", "").rstrip("/") == "/login" else answer

    return _around(rewrite)


def _without_token(answer: Response) -> Response:
    status, headers, body = answer
    document = json.loads(body) if body else {}
    if isinstance(document.get("data"), dict):
        document["data"].pop("token", None)
    return status, headers, json.dumps(document).encode()


def _without_cookie(answer: Response) -> Response:
    status, headers, body = answer
    return status, [(k, v) for k, v in headers if k.lower() != "set-cookie"], body


variant("v_login_gives_no_token", ("V-5", "V-5p"), ("V-5",), "POST /login/ returns no token")(
    _login_rewrite(lambda answer: _without_cookie(_without_token(answer)))
)
variant("v_token_only_in_cookie", ("V-5p",), ("V-5",), "the login token is not in data.token")(
    _login_rewrite(_without_token)
)
variant("v_token_only_in_data", ("V-5p",), ("V-5",), "the login token is not in Set-Cookie")(
    _login_rewrite(_without_cookie)
)


@variant("v_wrong_login_is_200", ("V-5p",), ("V-5",), "a wrong password at /login/ is HTTP 200")
def _v_wrong_login_is_200(app: Flask) -> None:
    def change(answer: Response) -> Response:
        status, headers, body = answer
        return (200, headers, body) if status == 401 else answer

    _login_rewrite(change)(app)


@variant("v_cookie_ignored", ("V-5",), ("V-5",), "the sergiosgc_auth cookie authenticates nothing")
def _v_cookie_ignored(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        environ.pop("HTTP_COOKIE", None)
        return inner()

    _around(rewrite)(app)


@variant("v_logout_keeps_session", ("V-5",), ("V-5",), "POST /logout/ answers but ends nothing")
def _v_logout_keeps_session(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ.get("PATH_INFO", "").rstrip("/") == "/logout":
            return 200, list(JSON_TYPE), b'{"success": true, "data": {}}'
        return inner()

    _around(rewrite)(app)


# -- paths -------------------------------------------------------------------------


def _path_refused(matches: Callable[[str, str], bool]) -> Callable[[Flask], None]:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if matches(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")):
            return _envelope(404, "not_found")
        return inner()

    return _around(rewrite)


variant("r_collection_needs_slash", ("R-1",), ("R-1",), "POST /campaign is 404 (only /campaign/)")(
    _path_refused(lambda method, path: method == "POST" and path == "/campaign")
)
variant("r_item_needs_slash", ("R-1",), ("R-1",), "GET /campaign/{id} is 404 (only with /)")(
    _path_refused(
        lambda method, path: method == "GET" and _is_item(path) and not path.endswith("/")
    )
)
variant("r_no_slash_on_items", ("R-1p",), ("R-1",), "GET /campaign/{id}/ is a 404")(
    _path_refused(lambda method, path: method == "GET" and _is_item(path) and path.endswith("/"))
)
variant("r_no_slash_on_collection", ("R-1p",), ("R-1",), "POST /campaign/ is a 404")(
    _path_refused(lambda method, path: method == "POST" and path == "/campaign/")
)


# -- the campaign's fields ---------------------------------------------------------


def _campaign_change(change: Callable[[Call, dict[str, Any]], None]) -> Callable[[Flask], None]:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if campaign is not None:
            change(call, campaign)
        return status

    return _on_response(on_response)


variant("r_domain_text", ("R-2",), ("schema",), "`domain` comes back as a string")(
    _campaign_change(lambda c, d: d.update(domain=str(d["domain"])))
)
variant("r_list_text", ("R-2",), ("schema",), "`list` comes back as a string")(
    _campaign_change(lambda c, d: d.update(list=str(d["list"])))
)
variant("r_segment_items_text", ("R-2",), ("schema",), "segment ids come back as strings")(
    _campaign_change(lambda c, d: d.update(segments=[str(s) for s in d["segments"]]))
)
variant("r_when_milliseconds", ("R-2",), ("schema",), "`when` comes back in milliseconds")(
    _campaign_change(
        lambda c, d: d.update(when=d["when"] * 1000) if isinstance(d["when"], int) else None
    )
)
variant("r_no_when_is_empty_text", ("R-2",), ("schema",), 'no `when` comes back as "", not null')(
    _campaign_change(lambda c, d: d.update(when="") if d["when"] is None else None)
)
variant("r_no_callback_is_false", ("R-2",), ("schema",), "no event_callback comes back as false")(
    _campaign_change(lambda c, d: d.update(event_callback=d["event_callback"] or False))
)
variant("r_no_name_field", ("R-2",), ("schema",), "the campaign comes back without `name`")(
    _campaign_change(lambda c, d: d.pop("name", None))
)


# -- what each method returns ------------------------------------------------------


def _method_answer(
    method: str, change: Callable[[dict[str, Any]], None]
) -> Callable[[Flask], None]:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method == method and campaign is not None:
            change(campaign)
        return status

    return _on_response(on_response)


def _only_id(campaign: dict[str, Any]) -> None:
    ident = campaign["id"]
    campaign.clear()
    campaign["id"] = ident


variant("r_post_returns_id", ("R-3",), ("schema",), "POST returns only the new id")(
    _method_answer("POST", _only_id)
)
variant("r_put_returns_nothing", ("R-3",), ("schema",), "PUT returns an empty object")(
    _method_answer("PUT", lambda d: d.clear())
)


def _wrapped(campaign: dict[str, Any]) -> None:
    inner = dict(campaign)
    campaign.clear()
    campaign["campaign"] = inner


variant("r_get_wrapped", ("R-3",), ("schema",), 'GET returns {"campaign": {...}}')(
    _method_answer("GET", _wrapped)
)


def _status_for(method: str, new_status: int) -> Callable[[Flask], None]:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        return new_status if call.method == method and _campaign(doc) is not None else status

    return _on_response(on_response)


variant("r_put_202", ("R-3p",), ("schema",), "PUT answers HTTP 202 Accepted")(
    _status_for("PUT", 202)
)
variant("r_delete_202", ("R-3p",), ("schema",), "DELETE answers HTTP 202 Accepted")(
    _status_for("DELETE", 202)
)
variant("r_get_203", ("R-3p",), ("schema",), "GET answers HTTP 203")(_status_for("GET", 203))


# -- encodings ---------------------------------------------------------------------


def _refuse_urlencoded(method: str) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method == method and call.form is not None:
            call.answer = (
                415,
                {"success": False, "data": {"error": "no", "code": "unsupported_media_type"}},
            )

    return on_request


variant("q_no_urlencoded_post", ("Q-1",), ("Q-1",), "an urlencoded POST is a 415")(
    _on_request(_refuse_urlencoded("POST"))
)
variant("q_no_urlencoded_put", ("Q-1",), ("Q-1",), "an urlencoded PUT is a 415")(
    _on_request(_refuse_urlencoded("PUT"))
)


def _first_segment_only(call: Call, _b: CampaignBackend) -> None:
    if call.form is not None:
        seen = False
        kept = []
        for key, value in call.form:
            if key == "segments[]":
                if seen:
                    continue
                seen = True
            kept.append((key, value))
        call.form = kept


variant("q_repeated_key_first_only", ("Q-1", "Q-3"), ("Q-1",), "only the first segments[] counts")(
    _on_request(_first_segment_only)
)


def _json_segments_dropped(call: Call, _b: CampaignBackend) -> None:
    if call.json is not None and call.json.get("segments"):
        call.json.pop("segments")


variant("q_json_segments_ignored", ("Q-1p",), ("Q-1",), 'JSON "segments": [...] is ignored')(
    _on_request(_json_segments_dropped)
)


# -- `when` ------------------------------------------------------------------------


def _when_rewrite(change: Callable[[Any], Any]) -> Callable[[Flask], None]:
    """`change(when)` returns a new value, or `INVALID` to refuse the request."""

    def on_request(call: Call, _b: CampaignBackend) -> None:
        params = call.params()
        if call.method not in ("POST", "PUT") or "when" not in params:
            return
        new = change(params["when"])
        if new is INVALID:
            _answer_failure(call, "invalid", "when")
        elif new is not params["when"]:
            call.set_param("when", new)

    return _on_request(on_request)


INVALID = object()


def _text(test: Callable[[str], bool], then: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda when: then(when) if isinstance(when, str) and test(when) else when


variant("q_integer_when_refused", ("Q-2",), ("Q-2",), "an integer JSON `when` is invalid")(
    _when_rewrite(lambda when: INVALID if isinstance(when, int) else when)
)
variant("q_digits_when_refused", ("Q-2",), ("Q-2",), "a form `when` of digits is invalid")(
    _when_rewrite(_text(lambda w: w.isdigit() and len(w) == 10, lambda w: INVALID))
)
variant("q_zulu_refused", ("Q-2",), ("Q-2",), "an RFC 3339 `when` ending in Z is invalid")(
    _when_rewrite(_text(lambda w: "T" in w and w.endswith("Z"), lambda w: INVALID))
)
variant("q_eight_digits_are_a_date", ("Q-2p",), ("Q-2",), "`when=20261201` is read as a date")(
    _when_rewrite(
        _text(lambda w: w.isdigit() and len(w) == 8, lambda w: f"{w[:4]}-{w[4:6]}-{w[6:]}")
    )
)
variant("q_fractions_refused", ("Q-2p",), ("Q-2",), "`when` with fractions of a second is invalid")(
    _when_rewrite(_text(lambda w: "T" in w and "." in w, lambda w: INVALID))
)


def _round_up(when: str) -> str:
    head, _, rest = when.partition(".")
    digits = "".join(ch for ch in rest if ch.isdigit())
    zone = rest[len(digits) :]
    if int(digits or "0") == 0:
        return head + zone
    seconds = int(head[-2:]) + 1
    return head[:-2] + f"{seconds:02d}" + zone if seconds < 60 else head + zone


variant("q_fractions_rounded", ("Q-2p",), ("Q-2",), "fractions of a second round up, not drop")(
    _when_rewrite(_text(lambda w: "T" in w and "." in w and w[17:19] != "59", _round_up))
)


def _naive(when: str) -> bool:
    return "T" in when and not (when.endswith(("Z", "z")) or when[-6:-5] in ("+", "-"))


variant("q_naive_is_local", ("Q-2p",), ("Q-2",), "`when` without an offset is read as UTC+1")(
    _when_rewrite(_text(_naive, lambda w: w + "+01:00"))
)


def _is_date(when: str) -> bool:
    return len(when) == 10 and when[4] == "-" and when[7] == "-"


variant("q_date_refused", ("Q-2p",), ("Q-2",), "a date-only `when` is invalid")(
    _when_rewrite(_text(lambda w: _is_date(w) and w < "9999", lambda w: INVALID))
)
variant("q_date_is_noon", ("Q-2p",), ("Q-2",), "a date-only `when` is noon UTC, not midnight")(
    _when_rewrite(_text(lambda w: _is_date(w) and w < "9999", lambda w: w + "T12:00:00Z"))
)


def _cap_year(when: Any) -> Any:
    if isinstance(when, str) and when.startswith("10000-"):
        return "9999-12-31T23:59:59Z"
    if when in ("253402300800", 253402300800):
        return "253402300799"
    return when


variant(
    "q_year_10000_accepted", ("Q-2p",), ("Q-2",), "`when` past year 9999 is capped, not invalid"
)(_when_rewrite(_cap_year))


def _year_9999(when: Any) -> Any:
    if isinstance(when, str) and (when.startswith("9999-") or when == "253402300799"):
        return INVALID
    return INVALID if when == 253402300799 else when


variant("q_year_9999_refused", ("Q-2p",), ("Q-2",), "`when` in year 9999 is invalid (off by one)")(
    _when_rewrite(_year_9999)
)
variant("q_words_accepted", ("Q-2p",), ("Q-2",), "`when=tomorrow` is accepted (a lenient parser)")(
    _when_rewrite(_text(lambda w: w.isalpha(), lambda w: str(FUTURE)))
)
variant("q_month_13_rolls_over", ("Q-2p",), ("Q-2",), "`when=2026-13-01` rolls over to 2027")(
    _when_rewrite(_text(lambda w: w[4:8] == "-13-", lambda w: f"{int(w[:4]) + 1}-01{w[7:]}"))
)


# -- repeated segments -------------------------------------------------------------


def _segments_sent(call: Call) -> list[Any] | None:
    params = call.params()
    sent = params.get("segments" if call.json is not None else "segments[]")
    return sent if isinstance(sent, list) else None


@variant("q_repeated_segments_invalid", ("Q-3", "Q-1"), ("Q-3",), "segments[] twice is invalid")
def _q_repeated_segments_invalid(app: Flask) -> None:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.form is not None and sum(1 for k, _v in call.form if k == "segments[]") > 1:
            _answer_failure(call, "invalid", "segments")

    install(app, on_request=on_request)


def _echo_duplicates(order: Callable[[list[int]], list[int]]) -> Callable[[Flask], None]:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        sent = _segments_sent(call)
        if campaign is not None and sent and call.method in ("POST", "PUT"):
            ids = [int(s) for s in sent if str(s).isdigit()]
            if len(set(ids)) < len(ids):
                campaign["segments"] = order(ids)
        return status

    return _on_response(on_response)


variant("q_duplicates_kept", ("Q-3p",), ("Q-3",), "duplicate segments are kept, not collapsed")(
    _echo_duplicates(lambda ids: ids)
)
variant("q_duplicates_last_wins", ("Q-3p",), ("Q-3",), "duplicates keep last-occurrence order")(
    _echo_duplicates(lambda ids: list(dict.fromkeys(ids[::-1]))[::-1])
)


# -- POST's required fields and limits ---------------------------------------------


def _post_default(name: str, value: Callable[[Call], str | int]) -> Callable[[Flask], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        is_post = call.method == "POST" and call.path.rstrip("/") == "/campaign"
        if is_post and name not in call.params():
            call.set_param(name, value(call))

    return _on_request(on_request)


def _typed(call: Call, number: int) -> str | int:
    return number if call.json is not None else str(number)


variant("q_name_optional", ("Q-4",), ("Q-4",), "a POST without `name` is named Untitled")(
    _post_default("name", lambda call: "Untitled")
)
variant("q_domain_optional", ("Q-4",), ("Q-4",), "a POST without `domain` takes domain 1")(
    _post_default("domain", lambda call: _typed(call, 1))
)
variant("q_list_optional", ("Q-4",), ("Q-4",), "a POST without `list` takes list 1")(
    _post_default("list", lambda call: _typed(call, 1))
)


def _name_rewrite(change: Callable[[str], str | None]) -> Callable[[Flask], None]:
    """`change(name)` gives the name to store, or None to refuse it as invalid."""

    def on_request(call: Call, _b: CampaignBackend) -> None:
        name = call.params().get("name")
        if call.method in ("POST", "PUT") and isinstance(name, str):
            new = change(name)
            if new is None:
                _answer_failure(call, "invalid", "name")
            elif new != name:
                call.set_param("name", new)

    return _on_request(on_request)


variant("q_empty_name_accepted", ("Q-4",), ("Q-4",), "an empty name becomes Untitled")(
    _name_rewrite(lambda name: name or "Untitled")
)
variant("q_blank_name_accepted", ("Q-4",), ("Q-4",), "a blank name is accepted as it is")(
    _name_rewrite(lambda name: "blank" if name and not name.strip() else name)
)
variant("q_name_255_refused", ("Q-4",), ("Q-4",), "a name of 255 characters is invalid")(
    _name_rewrite(lambda name: None if len(name) >= 255 else name)
)
variant("q_name_limit_in_bytes", ("Q-4",), ("Q-4",), "the 255 limit counts UTF-8 bytes")(
    _name_rewrite(lambda name: None if len(name.encode()) > 255 else name)
)


@variant("q_state_defaults_scheduled", ("Q-4",), ("Q-4",), "a POST without `state` is SCHEDULED")
def _q_state_defaults_scheduled(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method == "POST" and campaign is not None and "state" not in call.params():
            campaign["state"] = "SCHEDULED"
        return status

    install(app, on_response=change)


def _callback_rewrite(change: Callable[[str], str | None]) -> Callable[[Flask], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        url = call.params().get("event_callback")
        if call.method in ("POST", "PUT") and isinstance(url, str) and url:
            new = change(url)
            if new is None:
                _answer_failure(call, "invalid", "event_callback")
            elif new != url:
                call.set_param("event_callback", new)

    return _on_request(on_request)


def _absolute(url: str) -> str:
    return url if "://" in url else "http://hooks.example/" + url.lstrip("/")


variant("q_relative_callback_accepted", ("Q-4",), ("Q-4",), "a relative event_callback is taken")(
    _callback_rewrite(_absolute)
)
variant("q_http_callback_refused", ("Q-4",), ("Q-4",), "an http:// event_callback is invalid")(
    _callback_rewrite(lambda url: None if url.startswith("http://") else url)
)
variant("q_long_callback_cut", ("Q-4",), ("Q-4",), "an event_callback over 2048 is cut to 2048")(
    _callback_rewrite(lambda url: url[:2048])
)
variant("q_callback_limit_2000", ("Q-4",), ("Q-4",), "an event_callback over 2000 is invalid")(
    _callback_rewrite(lambda url: None if len(url) > 2000 else url)
)


# -- PUT ---------------------------------------------------------------------------


@variant("q_put_changes_list", ("Q-5", "Q-5p"), ("Q-5",), "a PUT of `list` changes the list")
def _q_put_changes_list(app: Flask) -> None:
    def on_request(call: Call, b: CampaignBackend) -> None:
        wanted = call.params().get("list")
        if call.method == "PUT" and wanted is not None and _existing(b, call.campaign_id):
            campaign = next(c for c in b.campaigns() if c.id == call.campaign_id)
            call.answer = (
                200,
                {"success": True, "data": {**campaign.to_wire(), "list": int(wanted)}},
            )

    install(app, on_request=on_request)


def _clear_ignored(name: str, json_value: Any, form_value: str) -> Callable[[Flask], None]:
    """A PUT that clears `name` (JSON `json_value` or form `form_value`) keeps it instead."""

    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method != "PUT":
            return
        if call.json is not None and name in call.json and call.json[name] == json_value:
            call.json.pop(name)
        elif call.form is not None:
            key = "segments[]" if name == "segments" else name
            values = [v for k, v in call.form if k == key]
            if values == [form_value]:
                call.drop_param(key)

    return _on_request(on_request)


variant("q_empty_callback_kept", ("Q-5p",), ("Q-5",), 'form event_callback="" clears nothing')(
    _clear_ignored("event_callback", object(), "")
)
variant("q_null_callback_kept", ("Q-5p",), ("Q-5",), "JSON event_callback null clears nothing")(
    _clear_ignored("event_callback", None, "\x00never")
)
variant("q_empty_segment_kept", ("Q-5p",), ("Q-5",), "a single empty segments[]= clears nothing")(
    _clear_ignored("segments", object(), "")
)
variant("q_json_empty_segments_kept", ("Q-5p",), ("Q-5",), 'JSON "segments": [] clears nothing')(
    _clear_ignored("segments", [], "\x00never")
)
variant("q_empty_when_kept", ("Q-5p",), ("Q-5",), 'form when="" clears nothing')(
    _clear_ignored("when", object(), "")
)
variant("q_null_when_kept", ("Q-5p",), ("Q-5",), "JSON when null clears nothing")(
    _clear_ignored("when", None, "\x00never")
)


@variant(
    "q_clearing_when_drafts", ("Q-5p",), ("Q-5",), 'when="" on a SCHEDULED campaign makes it DRAFT'
)
def _q_clearing_when_drafts(app: Flask) -> None:
    def on_request(call: Call, b: CampaignBackend) -> None:
        params = call.params()
        scheduled = _state(b, call.campaign_id) in (State.SCHEDULED, State.READY)
        if (
            call.method == "PUT"
            and params.get("when") == ""
            and scheduled
            and "state" not in params
        ):
            call.set_param("state", "DRAFT")

    install(app, on_request=on_request)


# -- references --------------------------------------------------------------------


def _reference_code(field: str, other: str) -> Callable[[Flask], None]:
    def change(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        errors = (failure or {}).get("errors")
        named = isinstance(errors, dict) and list(errors) == [field]
        if failure and failure.get("code") == "reference" and named:
            failure["code"] = other
        return status

    return _on_response(change)


@variant("q_unknown_domain_invalid", ("Q-6",), ("Q-6",), "an unknown domain is `invalid`")
def _q_unknown_domain_invalid(app: Flask) -> None:
    def change(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        failure = _failure(doc)
        domain = str(call.params().get("domain"))
        known = {str(d.id) for d in b.fixtures.domains}
        if failure and failure.get("code") == "reference" and domain not in known:
            failure["code"] = "invalid"
        return status

    install(app, on_response=change)


variant("q_unknown_list_not_found", ("Q-6s",), ("Q-6",), "an unknown list is `not_found`")(
    _reference_code("list", "not_found")
)


def _put_bouncing(call: Call, _b: CampaignBackend) -> None:
    if call.method == "PUT" and str(call.params().get("domain")) == "2":
        call.set_param("domain", 1 if call.json is not None else "1")


variant(
    "q_put_non_bouncing_accepted", ("Q-6",), ("Q-6",), "a PUT of a non-bouncing domain is taken"
)(_on_request(_put_bouncing))


def _drop_foreign(method: str, keep_if_first_ok: bool) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, b: CampaignBackend) -> None:
        if call.method != method or call.form is None:
            return
        params = call.params()
        campaign = next((c for c in b.campaigns() if c.id == call.campaign_id), None)
        list_id = int(params["list"]) if str(params.get("list", "")).isdigit() else None
        list_id = list_id if list_id is not None else (campaign.list if campaign else None)
        sent = [v for k, v in call.form if k == "segments[]" and v.isdigit()]
        if list_id is None or not sent:
            return

        def inside(value: str) -> bool:
            owner = b.fixtures.list_of_segment(int(value))
            return owner is not None and owner.id == list_id

        if keep_if_first_ok and not inside(sent[0]):
            return
        call.form = [
            (k, v) for k, v in call.form if k != "segments[]" or not v.isdigit() or inside(v)
        ]

    return on_request


variant("q_foreign_segment_dropped", ("Q-6s",), ("Q-6",), "a segment outside the list is dropped")(
    _on_request(_drop_foreign("POST", keep_if_first_ok=False))
)
variant(
    "q_put_foreign_segment_dropped",
    ("Q-6s",),
    ("Q-6",),
    "a PUT's segment outside the list is dropped",
)(_on_request(_drop_foreign("PUT", keep_if_first_ok=False)))
variant(
    "q_only_first_segment_checked",
    ("Q-6s",),
    ("Q-6",),
    "only the first segment is checked against the list",
)(_on_request(_drop_foreign("POST", keep_if_first_ok=True)))


variant("q_zero_when_refused", ("Q-2p",), ("Q-2",), "`when=0` is invalid (as if 0 were negative)")(
    _when_rewrite(lambda when: INVALID if when in ("0", 0) else when)
)
