"""One-cell broken variants of the V-3/V-4 clauses given domains in the second round: each
breaks its clause in ONE cell (one body fault, target, method, body type, credentials flow or
repetition) and behaves as the mock everywhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend

from .clause_variants_vrq import (
    ONE_MIB,
    PASSWORD,
    Inner,
    Response,
    _around,
    _basic,
    _body,
    _envelope,
    _existing,
    _never_created,
)
from .middleware import Call, install
from .variants import variant

Rewrite = Callable[[Call, int, dict[str, Any], CampaignBackend], int]
Doc = dict[str, Any]
Backend = CampaignBackend


def _deleted(backend: CampaignBackend, ident: int | None) -> bool:
    """An id the mock gave out and no longer holds."""
    return (
        ident is not None and not _existing(backend, ident) and not _never_created(backend, ident)
    )


def _multipart(call: Call) -> bool:
    return call.content_type.startswith("multipart/form-data")


def _data(doc: dict[str, Any]) -> dict[str, Any]:
    data = doc.get("data")
    return data if isinstance(data, dict) else {}


def _errors(doc: dict[str, Any]) -> dict[str, Any]:
    errors = _data(doc).get("errors")
    return errors if isinstance(errors, dict) else {}


def _response(name: str, breaks: str, why: str) -> Callable[[Rewrite], Rewrite]:
    """Register a response rewrite as a variant breaking `breaks`."""

    def register(change: Rewrite) -> Rewrite:
        variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_response=change))
        return change

    return register


# -- V-4 step 3: one body fault on one target -------------------------------------------------


@_response("v_trailing_comma_json_on_put_is_200", "V-4",
           "JSON with a trailing comma PUT to an existing campaign is a 200 `invalid`")  # fmt: skip
def _v_trailing_comma(call: Call, status: int, doc: Doc, b: Backend) -> int:
    trailing = call.body.rstrip().endswith(b",}")
    if call.method == "PUT" and status == 400 and trailing and _existing(b, call.campaign_id):
        _data(doc)["code"] = "invalid"
        return 200
    return status


@_response(
    "v_json_null_on_post_is_200", "V-4", "a POST whose JSON body is `null` is a 200 `invalid`"
)
def _v_json_null(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if call.method == "POST" and status == 400 and call.body.strip() == b"null":
        _data(doc)["code"] = "invalid"
        return 200
    return status


@_response("v_headerless_part_on_post_is_200", "V-4",
           "a POST of multipart whose part has no headers is a 200 `invalid`")  # fmt: skip
def _v_headerless(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if call.method == "POST" and status == 400 and _multipart(call) and b"no headers" in call.body:
        _data(doc)["code"] = "invalid"
        return 200
    return status


@_response("v_big_multipart_is_400", "V-4", "a multipart body over 1 MiB is a 400, not a 413")
def _v_big_multipart(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if status == 413 and _multipart(call):
        _data(doc)["code"] = "malformed"
        return 400
    return status


@_response("v_xml_body_is_400", "V-4", "an application/xml body is a 400, not a 415")
def _v_xml(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if status == 415 and call.content_type.startswith("application/xml"):
        _data(doc)["code"] = "malformed"
        return 400
    return status


@_response("v_deleted_id_before_body", "V-4",
           "a bad body PUT to a deleted id is a 404 (to a missing id: 400/413/415)")  # fmt: skip
def _v_deleted_first(call: Call, status: int, doc: Doc, b: Backend) -> int:
    if call.method == "PUT" and status in (400, 413, 415) and _deleted(b, call.campaign_id):
        _data(doc)["code"] = "not_found"
        return 404
    return status


@variant("v_repeated_broken_json_is_200", ("V-4",), ("V-4",),
         "broken JSON sent a second time to the same path is a 200 `invalid`")  # fmt: skip
def _v_repeated_broken(app: Flask) -> None:
    seen: set[tuple[str, str, bytes]] = set()

    def change(call: Call, status: int, doc: Doc, _b: Backend) -> int:
        key = (call.method, call.path, call.body)
        if status == 400 and call.content_type.startswith("application/json"):
            if key in seen:
                _data(doc)["code"] = "invalid"
                return 200
            seen.add(key)
        return status

    install(app, on_response=change)


# -- V-4 order: one adjacent pair swapped for one flow ----------------------------------------


@variant("v_oversized_before_wrong_password", ("V-4",), ("V-4",),
         "with a wrong Basic password a body over 1 MiB is a 413 (none: 401)")  # fmt: skip
def _v_oversized_before_wrong(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        basic = _basic(environ)
        big = int(environ.get("CONTENT_LENGTH") or 0) > ONE_MIB
        if big and basic is not None and basic[1] != PASSWORD:
            _body(environ)
            return _envelope(413, "too_large")
        return inner()

    _around(rewrite)(app)


@variant("v_wrong_password_before_405", ("V-4",), ("V-4",),
         "DELETE /campaign with a wrong Basic password is a 401 (no credentials: 405)")  # fmt: skip
def _v_wrong_before_405(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        basic = _basic(environ)
        here = environ["REQUEST_METHOD"] == "DELETE" and environ.get("PATH_INFO") == "/campaign"
        if here and basic is not None and basic[1] != PASSWORD:
            status, headers, body = _envelope(401, "unauthorized")
            return status, [*headers, ("WWW-Authenticate", 'Basic realm="x"')], body
        return inner()

    _around(rewrite)(app)


@variant("v_multipart_conflict_before_missing_id", ("V-4",), ("V-4",),
         "a multipart PUT of state=SENDING to a missing id is a 200 `conflict`")  # fmt: skip
def _v_conflict_before_missing(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        body = _body(environ)
        multipart = str(environ.get("CONTENT_TYPE", "")).startswith("multipart/form-data")
        put = environ["REQUEST_METHOD"] == "PUT"
        if put and multipart and b'name="state"' in body and b"SENDING" in body:
            status, headers, answer = inner()
            if status == 404:
                return _envelope(200, "conflict")
            return status, headers, answer
        return inner()

    _around(rewrite)(app)


# -- V-3: one failure, method and body type answered wrongly ----------------------------------


@_response("v_invalid_when_in_multipart_put_is_400", "V-3",
           "a multipart PUT with an invalid `when` answers HTTP 400 (elsewhere: 200)")  # fmt: skip
def _v_when_400(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if call.method == "PUT" and _multipart(call) and status == 200 and "when" in _errors(doc):
        return 400
    return status


@_response("v_json_segment_type_code_malformed", "V-3p",
           "a JSON POST with a non-integer segment has `code: malformed`")  # fmt: skip
def _v_segment_code(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    invalid = _data(doc).get("code") == "invalid"
    if call.method == "POST" and call.json is not None and invalid and "segments" in _errors(doc):
        _data(doc)["code"] = "malformed"
    return status


@_response("v_foreign_segment_on_put_is_404", "V-3",
           "a PUT of a segment outside the list answers HTTP 404 (POST: 200)")  # fmt: skip
def _v_segment_404(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    reference = _data(doc).get("code") == "reference"
    if call.method == "PUT" and status == 200 and reference and "segments" in str(_errors(doc)):
        return 404
    return status


@_response("v_unknown_domain_in_multipart_is_invalid", "V-3p",
           "a multipart POST of an unknown domain has `code: invalid`")  # fmt: skip
def _v_domain_code(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    reference = _data(doc).get("code") == "reference"
    if call.method == "POST" and _multipart(call) and reference and "domain" in _errors(doc):
        _data(doc)["code"] = "invalid"
    return status


@_response("v_json_post_done_is_409", "V-3", "a JSON POST asking for state DONE answers HTTP 409")
def _v_done_409(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    asked = (call.json or {}).get("state")
    if call.method == "POST" and asked == "DONE" and _data(doc).get("code") == "conflict":
        return 409
    return status


@_response("v_put_ready_from_draft_is_invalid", "V-3p",
           "a PUT from DRAFT straight to READY has `code: invalid`, not conflict")  # fmt: skip
def _v_ready_code(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    asked = call.params().get("state")
    if call.method == "PUT" and asked == "READY" and _data(doc).get("code") == "conflict":
        _data(doc)["code"] = "invalid"
    return status


@_response("v_form_put_error_state_is_success", "V-3",
           'a form PUT asking for ERROR answers `"success": true`')  # fmt: skip
def _v_error_success(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    asked = (dict(call.form or [])).get("state")
    if call.method == "PUT" and asked == "ERROR" and _data(doc).get("code") == "conflict":
        doc["success"] = True
    return status


@_response("v_json_reference_error_is_a_list", "V-3",
           "a JSON POST's reference failure has `data.error` as a list of texts")  # fmt: skip
def _v_error_list(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    data = _data(doc)
    if call.method == "POST" and call.json is not None and data.get("code") == "reference":
        data["error"] = [str(data.get("error"))]
    return status


@_response("v_multipart_reference_errors_are_texts", "V-3p",
           "a multipart reference failure maps each field to one text, not a list")  # fmt: skip
def _v_errors_text(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if _multipart(call) and _data(doc).get("code") == "reference":
        errors = _errors(doc)
        for key in list(errors):
            errors[key] = "; ".join(map(str, errors[key]))
    return status


@_response("v_put_when_error_names_body", "V-3p",
           "a PUT with an invalid `when` names `body` in data.errors, not `when`")  # fmt: skip
def _v_names_body(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    errors = _errors(doc)
    if call.method == "PUT" and "when" in errors:
        errors["body"] = errors.pop("when")
    return status


@_response("v_no_code_on_415", "V-3p", "a 415 has no `data.code` (every other failure has one)")
def _v_no_code_415(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if status == 415:
        _data(doc).pop("code", None)
    return status


@_response("v_deleted_id_delete_code_gone", "V-3p",
           "a DELETE of a deleted campaign's id is a 404 with `code: gone`")  # fmt: skip
def _v_gone(call: Call, status: int, doc: Doc, b: Backend) -> int:
    if call.method == "DELETE" and status == 404 and _deleted(b, call.campaign_id):
        _data(doc)["code"] = "gone"
    return status


@_response("v_patch_login_code_renamed", "V-3p", "PATCH /login/ is a 405 with `code: not_allowed`")
def _v_patch_login(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if call.method == "PATCH" and call.path == "/login/" and status == 405:
        _data(doc)["code"] = "not_allowed"
    return status


@_response("v_too_large_code_on_deleted_id", "V-3p",
           "a 413 for a PUT to a deleted campaign's id has `code: payload_too_large`")  # fmt: skip
def _v_413_code(call: Call, status: int, doc: Doc, b: Backend) -> int:
    if call.method == "PUT" and status == 413 and _deleted(b, call.campaign_id):
        _data(doc)["code"] = "payload_too_large"
    return status


@_response("v_octet_stream_code_renamed", "V-3p",
           "a 415 for application/octet-stream has `code: unsupported`")  # fmt: skip
def _v_octet(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if status == 415 and call.content_type.startswith("application/octet-stream"):
        _data(doc)["code"] = "unsupported"
    return status


@_response("v_headerless_part_code_renamed", "V-3p",
           "a 400 for a multipart part without headers has `code: bad_multipart`")  # fmt: skip
def _v_multipart_code(call: Call, status: int, doc: Doc, _b: Backend) -> int:
    if status == 400 and _multipart(call) and b"no headers" in call.body:
        _data(doc)["code"] = "bad_multipart"
    return status
