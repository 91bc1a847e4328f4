"""One-cell broken variants of Q-1 and Q-3: each mistakes ONE array spelling, body type or
method, and reads every other request as the mock does."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from campaign_mock.domain.backend import CampaignBackend

from .middleware import Call, install
from .variants import variant

Doc = dict[str, Any]
MULTIPART_SEGMENT = re.compile(rb'name="segments\[\]"\r\n\r\n([^\r]*)\r\n')


def _kind(call: Call) -> str:
    if call.content_type.startswith("application/json"):
        return "JSON"
    return "multipart" if call.content_type.startswith("multipart/") else "form"


def _writes(call: Call, method: str, kind: str) -> bool:
    return call.method == method and _kind(call) == kind


def _refuse_415(call: Call) -> None:
    document = {"error": "unsupported", "code": "unsupported_media_type", "errors": {}}
    call.answer = (415, {"success": False, "data": document})


def _request(name: str, breaks: str, why: str, change: Callable[[Call], None]) -> None:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        change(call)

    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_request=on_request))


def _response(name: str, breaks: str, why: str, change: Callable[[Call, Doc], None]) -> None:
    def on_response(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
        data = doc.get("data")
        if doc.get("success") is True and isinstance(data, dict) and "segments" in data:
            change(call, data)
        return status

    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_response=on_response))


def _percent_post(call: Call) -> None:
    if _writes(call, "POST", "form") and b"segments%5B%5D" in call.body and call.form:
        call.form = [(k, v) for k, v in call.form if k != "segments[]"]


def _raw_put(call: Call) -> None:
    if _writes(call, "PUT", "form") and b"segments[]=" in call.body:
        _refuse_415(call)


def _multipart_put(call: Call) -> None:
    if _writes(call, "PUT", "multipart"):
        _refuse_415(call)


def _json_put(call: Call) -> None:
    if _writes(call, "PUT", "JSON"):
        _refuse_415(call)


def _json_put_segments(call: Call) -> None:
    if _writes(call, "PUT", "JSON") and call.json is not None:
        call.json.pop("segments", None)


def _multipart_put_repeated(call: Call) -> None:
    values = MULTIPART_SEGMENT.findall(call.body)
    if _writes(call, "PUT", "multipart") and len(values) != len(set(values)):
        document = {"error": "segments repeat", "code": "invalid", "errors": {"segments": ["x"]}}
        call.answer = (200, {"success": False, "data": document})


def _first_only(call: Call, data: Doc) -> None:
    if _writes(call, "PUT", "multipart") and len(MULTIPART_SEGMENT.findall(call.body)) > 1:
        data["segments"] = data["segments"][:1]


def _indexed_multipart(call: Call, data: Doc) -> None:
    if _writes(call, "POST", "multipart") and b'name="segments[0]"' in call.body:
        data["segments"] = []


def _json_kept(call: Call, data: Doc) -> None:
    sent = (call.json or {}).get("segments")
    if _writes(call, "POST", "JSON") and isinstance(sent, list) and len(sent) != len(set(sent)):
        data["segments"] = sent


def _last_order(call: Call, data: Doc) -> None:
    sent = [v for k, v in call.form or [] if k == "segments[]"]
    if _writes(call, "PUT", "form") and len(sent) != len(set(sent)):
        data["segments"] = [int(v) for v in reversed(dict.fromkeys(reversed(sent)))]


_request("q_percent_brackets_post_ignored", "Q-1",
         "a form POST's `segments%5B%5D` are ignored (raw brackets, and PUT, are read)",
         _percent_post)  # fmt: skip
_request("q_raw_brackets_put_refused", "Q-1",
         "a form PUT with raw `segments[]` brackets is a 415", _raw_put)  # fmt: skip
_request("q_multipart_put_refused", "Q-1", "a multipart PUT is a 415 (POST takes multipart)",
         _multipart_put)  # fmt: skip
_response("q_multipart_put_first_segment_only", "Q-1",
          "a multipart PUT keeps only the first `segments[]` part", _first_only)  # fmt: skip
_response("q_indexed_multipart_post_ignored", "Q-1p",
          "indexed `segments[0]` parts of a multipart POST are ignored",
          _indexed_multipart)  # fmt: skip
_request("q_json_put_refused", "Q-1p", "a JSON PUT is a 415 (a JSON POST is taken)", _json_put)
_request("q_json_put_segments_ignored", "Q-1p", 'a JSON PUT\'s "segments" array is ignored',
         _json_put_segments)  # fmt: skip
_request("q_repeated_segments_multipart_put_invalid", "Q-3",
         "a multipart PUT repeating a segment is `invalid`", _multipart_put_repeated)  # fmt: skip
_response("q_json_post_duplicates_kept", "Q-3p",
          "a JSON POST keeps duplicate segments (elsewhere: collapsed)", _json_kept)  # fmt: skip
_response("q_form_put_duplicates_last_order", "Q-3p",
          "a form PUT collapses duplicates in last-occurrence order", _last_order)  # fmt: skip
