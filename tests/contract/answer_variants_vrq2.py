"""One-cell broken variants of R-2 and R-3: each spoils the campaign (or its status) on the
answer of ONE method, body type or state, and answers as the mock everywhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from campaign_mock.domain.backend import CampaignBackend

from .middleware import Call, install
from .variants import variant

Doc = dict[str, Any]
#: Whether a campaign answer is the one cell to spoil.
Where = Callable[[Call, Doc], bool]
#: Spoils the document; a new status, or None to keep it.
Spoil = Callable[[Doc], int | None]


def _campaign_answer(name: str, breaks: str, why: str, where: Where, spoil: Spoil) -> None:
    def on_response(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
        data = doc.get("data")
        campaign = doc.get("success") is True and isinstance(data, dict) and "state" in data
        if campaign and where(call, data):
            new = spoil(doc)
            return status if new is None else new
        return status

    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_response=on_response))


def _method(method: str) -> Where:
    return lambda call, _data: call.method == method


def _state(method: str, state: str) -> Where:
    return lambda call, data: call.method == method and data.get("state") == state


def _body(method: str, kind: str) -> Where:
    def where(call: Call, _data: Doc) -> bool:
        ctype = call.content_type
        found = (
            "JSON"
            if ctype.startswith("application/json")
            else "multipart"
            if ctype.startswith("multipart/")
            else "form"
        )
        return call.method == method and found == kind

    return where


def _set(field: str, value: Callable[[Any], Any]) -> Spoil:
    def spoil(doc: Doc) -> None:
        doc["data"][field] = value(doc["data"].get(field))

    return spoil


def _drop(field: str) -> Spoil:
    def spoil(doc: Doc) -> None:
        doc["data"].pop(field, None)

    return spoil


def _unset(field: str, stand_in: Any) -> Spoil:
    def spoil(doc: Doc) -> None:
        if doc["data"].get(field) in (None, []):
            doc["data"][field] = stand_in

    return spoil


def _status(status: int) -> Spoil:
    return lambda _doc: status


def _only_id(doc: Doc) -> None:
    doc["data"] = {"id": doc["data"]["id"]}


def _empty(doc: Doc) -> None:
    doc["data"] = {}


def _wrapped(doc: Doc) -> None:
    doc["data"] = {"campaign": doc["data"]}


def _iso(value: Any) -> Any:
    return "2100-01-01T00:00:00Z" if isinstance(value, int) else value


def _text(value: Any) -> Any:
    return str(value)


def _ms(value: Any) -> Any:
    return value * 1000 if isinstance(value, int) else value


# -- one field's type on one method's answer ----------------------------------------------

_campaign_answer("r_delete_answer_lacks_name", "R-2", "a DELETE answers the campaign without "
                 "`name`", _method("DELETE"), _drop("name"))  # fmt: skip
_campaign_answer("r_put_id_text", "R-2", "a PUT answers `id` as a string", _method("PUT"),
                 _set("id", _text))  # fmt: skip
_campaign_answer("r_delete_domain_text", "R-2", "a DELETE answers `domain` as a string",
                 _method("DELETE"), _set("domain", _text))  # fmt: skip
_campaign_answer("r_get_list_text", "R-2", "a GET answers `list` as a string", _method("GET"),
                 _set("list", _text))  # fmt: skip
_campaign_answer(
    "r_delete_segment_items_text",
    "R-2",
    "a DELETE answers segment ids as text",
    _method("DELETE"),
    _set("segments", lambda v: [str(s) for s in v or []]),
)
_campaign_answer("r_put_when_iso", "R-2", "a PUT answers `when` as an ISO string",
                 _method("PUT"), _set("when", _iso))  # fmt: skip
_campaign_answer("r_delete_when_milliseconds", "R-2", "a DELETE answers `when` in milliseconds",
                 _method("DELETE"), _set("when", _ms))  # fmt: skip
_campaign_answer("r_get_unset_when_empty_text", "R-2", 'a GET answers an unset `when` as ""',
                 _method("GET"), _unset("when", ""))  # fmt: skip
_campaign_answer("r_put_empty_segments_null", "R-2", "a PUT answers empty `segments` as null",
                 _method("PUT"), _unset("segments", None))  # fmt: skip
_campaign_answer(
    "r_delete_unset_callback_false",
    "R-2",
    "a DELETE answers an unset `event_callback` as false",
    _method("DELETE"),
    _unset("event_callback", False),
)

# -- one method, body type or state answered without the campaign or not with 200 ---------

_campaign_answer("r_get_scheduled_wrapped", "R-3", 'a GET of a SCHEDULED campaign answers '
                 '{"campaign": {...}}', _state("GET", "SCHEDULED"), _wrapped)  # fmt: skip
_campaign_answer("r_multipart_post_returns_id", "R-3", "a multipart POST answers only the new id",
                 _body("POST", "multipart"), _only_id)  # fmt: skip
_campaign_answer("r_json_put_returns_nothing", "R-3", "a JSON PUT answers an empty object",
                 _body("PUT", "JSON"), _empty)  # fmt: skip
_campaign_answer("r_delete_ready_empty", "R-3", "a DELETE of a READY campaign answers an empty "
                 "object", _state("DELETE", "READY"), _empty)  # fmt: skip
_campaign_answer("r_get_ready_203", "R-3p", "a GET of a READY campaign answers HTTP 203",
                 _state("GET", "READY"), _status(203))  # fmt: skip
_campaign_answer("r_json_post_201", "R-3p", "a JSON POST answers HTTP 201",
                 _body("POST", "JSON"), _status(201))  # fmt: skip
_campaign_answer("r_multipart_put_202", "R-3p", "a multipart PUT answers HTTP 202",
                 _body("PUT", "multipart"), _status(202))  # fmt: skip
_campaign_answer("r_delete_scheduled_202", "R-3p", "a DELETE of a SCHEDULED campaign answers "
                 "HTTP 202", _state("DELETE", "SCHEDULED"), _status(202))  # fmt: skip
