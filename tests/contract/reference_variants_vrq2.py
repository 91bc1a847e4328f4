"""One-cell broken variants of Q-6: each lets ONE unresolved reference through, in one method
and body type, and refuses every other as the mock does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from campaign_mock.domain.backend import CampaignBackend

from .middleware import Call, install
from .variants import variant

Doc = dict[str, Any]
#: Whether a `reference` failure to this request is the one cell to spoil.
Where = Callable[[Call, Doc], bool]
#: The suite's id no server holds (campaign_contract.schema.target.UNKNOWN_ID).
UNKNOWN = b"999999999"


def _kind(call: Call) -> str:
    if call.content_type.startswith("application/json"):
        return "JSON"
    return "multipart" if call.content_type.startswith("multipart/") else "form"


def _names(doc: Doc, field: str) -> bool:
    errors = (doc.get("data") or {}).get("errors") or {}
    return any(str(key).startswith(field) for key in errors)


def _spoil(name: str, breaks: str, why: str, where: Where, code: str | None) -> None:
    """The reference failure becomes `code` (another code), or a success when None."""

    def on_response(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
        data = doc.get("data") or {}
        if doc.get("success") is False and data.get("code") == "reference" and where(call, doc):
            if code is None:
                doc["success"] = True
                doc["data"] = {"id": call.campaign_id or 1, "state": "DRAFT"}
            else:
                data["code"] = code
        return status

    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_response=on_response))


def _at(method: str, kind: str, field: str) -> Where:
    return lambda call, doc: call.method == method and _kind(call) == kind and _names(doc, field)


def _unknown_segment(method: str, kind: str) -> Where:
    def where(call: Call, doc: Doc) -> bool:
        return _at(method, kind, "segments")(call, doc) and UNKNOWN in call.body

    return where


def _each(call: Call, doc: Doc) -> bool:
    sent = (call.json or {}).get("segments")
    return call.method == "PUT" and isinstance(sent, list) and len(sent) > 1


_spoil("q_multipart_post_non_bouncing_accepted", "Q-6", "a multipart POST takes a domain that is "
       "not bouncing", _at("POST", "multipart", "domain"), None)  # fmt: skip
_spoil("q_json_put_non_bouncing_accepted", "Q-6", "a JSON PUT takes a domain that is not bouncing",
       lambda c, d: _at("PUT", "JSON", "domain")(c, d) and UNKNOWN not in c.body, None)  # fmt: skip
_spoil("q_form_put_unknown_domain_invalid", "Q-6", "a form PUT of an unknown domain: `invalid`",
       lambda c, d: _at("PUT", "form", "domain")(c, d) and UNKNOWN in c.body,
       "invalid")  # fmt: skip
_spoil("q_multipart_unknown_list_not_found", "Q-6s", "a multipart POST of an unknown list has "
       "`code: not_found`", _at("POST", "multipart", "list"), "not_found")  # fmt: skip
_spoil("q_json_post_unknown_segment_dropped", "Q-6s", "a JSON POST drops a segment nobody holds",
       _unknown_segment("POST", "JSON"), None)  # fmt: skip
_spoil("q_multipart_put_unknown_segment_dropped", "Q-6s", "a multipart PUT drops a segment "
       "nobody holds", _unknown_segment("PUT", "multipart"), None)  # fmt: skip
_spoil("q_json_put_only_first_segment_checked", "Q-6s", "a JSON PUT checks only its first "
       "segment", _each, None)  # fmt: skip
