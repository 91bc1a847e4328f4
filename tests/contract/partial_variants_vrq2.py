"""One-cell broken variants of Q-5: each mistakes a PUT in ONE body type, field or state, and
reads every other PUT as the mock does."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend

from .middleware import Call, install
from .variants import _state, variant

Doc = dict[str, Any]


def _part(name: str, value: str = "") -> re.Pattern[bytes]:
    """One multipart part as tests' bodies spell it (campaign_contract.schema.bodies)."""
    head = rf'--[^\r]+\r\nContent-Disposition: form-data; name="{re.escape(name)}"\r\n\r\n'
    return re.compile(head.encode() + re.escape(value).encode() + rb"\r\n")


def _multipart_put(call: Call) -> bool:
    return call.method == "PUT" and call.content_type.startswith("multipart/")


def _drop_part(name: str, value: str | None) -> Callable[[Call, CampaignBackend], None]:
    """A multipart PUT loses the part (with this value, or any)."""
    pattern = _part(name, value) if value is not None else re.compile(
        _part(name).pattern[:-len(rb"\r\n")] + rb"[^\r]*\r\n"
    )  # fmt: skip

    def on_request(call: Call, _b: CampaignBackend) -> None:
        if _multipart_put(call):
            call.body = pattern.sub(b"", call.body)

    return on_request


def _register(name: str, breaks: str, why: str, on_request: Any) -> None:
    variant(name, (breaks,), (breaks,), why)(lambda app: install(app, on_request=on_request))


_register("q_multipart_list_in_put_ignored", "Q-5p",
          "`list` in a multipart PUT is ignored", _drop_part("list", None))  # fmt: skip
_register("q_empty_callback_in_multipart_kept", "Q-5p",
          'multipart event_callback="" keeps it', _drop_part("event_callback", ""))  # fmt: skip
_register("q_empty_when_in_multipart_kept", "Q-5p",
          'a multipart PUT of when="" keeps `when`', _drop_part("when", ""))  # fmt: skip


def _empty_segment_kept(call: Call, _b: CampaignBackend) -> None:
    if call.method == "PUT" and call.form == [("segments[]", "")]:
        call.form = []


_register("q_empty_segment_in_form_put_kept", "Q-5p",
          "a form PUT of one empty `segments[]=` keeps them", _empty_segment_kept)  # fmt: skip


def _ready_when_cleared(call: Call, backend: CampaignBackend) -> None:
    state = _state(backend, call.campaign_id)
    if call.method == "PUT" and call.form == [("when", "")] and str(state).endswith("READY"):
        data = {"id": call.campaign_id, "state": "DRAFT", "when": None}
        call.answer = (200, {"success": True, "data": data})


_register("q_clearing_when_of_ready_in_form_accepted", "Q-5p",
          'a form PUT of when="" to a READY campaign is accepted (SCHEDULED, JSON: invalid)',
          _ready_when_cleared)  # fmt: skip


@variant("q_multipart_when_alone_drops_callback", ("Q-5p",), ("Q-5p",),
         "a multipart PUT of `when` alone answers with `event_callback` cleared")  # fmt: skip
def _q_when_alone(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
        alone = call.body.count(b'name="') == 1 and b'name="when"' in call.body
        if _multipart_put(call) and alone and doc.get("success") is True:
            doc["data"]["event_callback"] = None
        return status

    install(app, on_response=on_response)


@variant("q_json_put_changes_list", ("Q-5", "Q-5p"), ("Q-5",),
         "a JSON PUT of `list` is accepted and changes the list")  # fmt: skip
def _q_json_list(app: Flask) -> None:
    sent: dict[int, Any] = {}

    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method == "PUT" and call.json is not None and "list" in call.json:
            sent[id(call)] = call.json.pop("list")

    def on_response(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
        if id(call) in sent and doc.get("success") is True:
            doc["data"]["list"] = sent.pop(id(call))
        return status

    install(app, on_request=on_request, on_response=on_response)
