"""Deliberately broken variants of the mock, each breaking named rules (kept out of the mock)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import State

from .middleware import Call, install

FUTURE = 4_102_444_800


@dataclass(frozen=True)
class Variant:
    name: str
    #: The rule parts it breaks; the suite must fail at least the first.
    breaks: tuple[str, ...]
    #: The --only selection that covers those rules.
    only: tuple[str, ...]
    apply: Callable[[Flask], None]
    why: str


VARIANTS: list[Variant] = []


def variant(name: str, breaks: tuple[str, ...], only: tuple[str, ...], why: str) -> Any:
    def register(apply: Callable[[Flask], None]) -> Callable[[Flask], None]:
        VARIANTS.append(Variant(name, breaks, only, apply, why))
        return apply

    return register


def _campaign(document: dict[str, Any]) -> dict[str, Any] | None:
    data = document.get("data")
    if document.get("success") is True and isinstance(data, dict) and "state" in data:
        return data
    return None


def _failure(document: dict[str, Any]) -> dict[str, Any] | None:
    data = document.get("data")
    return data if document.get("success") is False and isinstance(data, dict) else None


def _campaign_rewrite(change: Callable[[Call, dict[str, Any]], None]) -> Callable[[Flask], None]:
    def apply(app: Flask) -> None:
        def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
            campaign = _campaign(doc)
            if campaign is not None:
                change(call, campaign)
            return status

        install(app, on_response=on_response)

    return apply


def _request_rewrite(change: Callable[[Call, CampaignBackend], None]) -> Callable[[Flask], None]:
    def apply(app: Flask) -> None:
        install(app, on_request=change)

    return apply


def _state(backend: CampaignBackend, ident: int | None) -> State | None:
    campaign = next((c for c in backend.campaigns() if c.id == ident), None)
    return campaign.state if campaign is not None else None


# -- V: envelope and statuses ----------------------------------------------------------


@variant("v_broken_json_500", ("V-4",), ("V-4",), "broken JSON crashes with a 500")
def _v_broken_json_500(app: Flask) -> None:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.content_type.startswith("application/json") and call.json is None and call.body:
            call.answer = (500, {"success": False, "data": {"error": "boom", "code": "malformed"}})

    install(app, on_request=on_request)


@variant("v_invalid_is_400", ("V-3",), ("schema",), "application failures answer HTTP 400")
def _v_invalid_is_400(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        return 400 if status == 200 and failure and failure.get("code") == "invalid" else status

    install(app, on_response=on_response)


@variant("v_no_error_text", ("V-3",), ("schema",), "application failures carry no data.error")
def _v_no_error_text(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if status == 200 and failure is not None:
            failure.pop("error", None)
        return status

    install(app, on_response=on_response)


@variant("v_bare_404", ("V-2",), ("robustness",), "a missing id answers a bare object")
def _v_bare_404(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        if status == 404:
            doc.pop("success", None)
        return status

    install(app, on_response=on_response)


@variant("v_no_code", ("V-3p",), ("schema", "robustness"), "failures carry no data.code")
def _v_no_code(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if failure is not None:
            failure.pop("code", None)
        return status

    install(app, on_response=on_response)


# -- R: the campaign in answers --------------------------------------------------------


def _iso_when(call: Call, campaign: dict[str, Any]) -> None:
    if isinstance(campaign.get("when"), int):
        campaign["when"] = dt.datetime.fromtimestamp(campaign["when"], dt.UTC).isoformat()


variant("r_when_iso", ("R-2",), ("schema",), "`when` comes back as an ISO string")(
    _campaign_rewrite(_iso_when)
)
variant("r_segments_null", ("R-2",), ("schema",), "no segments come back as null")(
    _campaign_rewrite(lambda c, d: d.update(segments=d["segments"] or None))
)
variant("r_id_text", ("R-2",), ("schema",), "`id` comes back as a string")(
    _campaign_rewrite(lambda c, d: d.update(id=str(d["id"])))
)
variant("r_delete_empty", ("R-3",), ("schema",), "DELETE returns an empty object")(
    _campaign_rewrite(lambda c, d: d.clear() if c.method == "DELETE" else None)
)


@variant("r_delete_204", ("R-3",), ("R-3",), "DELETE answers HTTP 204 with no body")
def _r_delete_204(app: Flask) -> None:
    inner = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] != "DELETE" or not path.startswith("/campaign/"):
            return inner(environ, start_response)
        captured: list[Any] = []
        chunks = b"".join(inner(environ, lambda s, h, e=None: captured.extend((s, h)) or None))
        if not captured[0].startswith("200"):
            start_response(captured[0], captured[1])
            return [chunks]
        start_response("204 No Content", [])
        return [b""]

    app.wsgi_app = wrapped  # type: ignore[method-assign]


@variant("r_post_201", ("R-3p",), ("schema",), "POST answers HTTP 201 Created")
def _r_post_201(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        return 201 if call.method == "POST" and _campaign(doc) is not None else status

    install(app, on_response=on_response)


# -- Q: requests -----------------------------------------------------------------------

variant("q_segments_reversed", ("Q-3p",), ("Q-3",), "segments come back last-first")(
    _campaign_rewrite(lambda c, d: d.update(segments=d["segments"][::-1]))
)


@variant("q_no_indexed_keys", ("Q-1p",), ("Q-1",), "indexed segments[N] keys are ignored")
def _q_no_indexed_keys(app: Flask) -> None:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.form is not None:
            call.form = [
                (k, v) for k, v in call.form if not k.startswith("segments[") or k == "segments[]"
            ]

    install(app, on_request=on_request)


def _refuse_type(prefix: str) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method in ("POST", "PUT") and call.content_type.startswith(prefix):
            call.answer = (
                415,
                {
                    "success": False,
                    "data": {
                        "error": "unsupported",
                        "code": "unsupported_media_type",
                        "errors": {},
                    },
                },
            )

    return on_request


variant("q_no_multipart", ("Q-1",), ("Q-1",), "multipart bodies are a 415")(
    _request_rewrite(_refuse_type("multipart/form-data"))
)
variant("q_no_json", ("Q-1p",), ("Q-1",), "JSON bodies are a 415")(
    _request_rewrite(_refuse_type("application/json"))
)


def _drop_offset(call: Call, _b: CampaignBackend) -> None:
    when = call.params().get("when")
    if isinstance(when, str) and len(when) > 6 and when[-6] in "+-" and when[-3] == ":":
        call.set_param("when", when[:-6] + "Z")


variant("q_offset_ignored", ("Q-2",), ("Q-2",), "an ISO offset is read as UTC")(
    _request_rewrite(_drop_offset)
)


def _negative_when(call: Call, _b: CampaignBackend) -> None:
    if call.params().get("when") in ("-1", -1):
        call.set_param("when", "0")


variant("q_negative_when", ("Q-2p",), ("Q-2",), "negative timestamps are taken as 0")(
    _request_rewrite(_negative_when)
)


_ISO_BASIC = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$")
_ISO_NO_SECONDS = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})(Z|[+-][0-9:]+)$")


def _iso8601_read_as_rfc3339(call: Call, _b: CampaignBackend) -> None:
    when = call.params().get("when")
    if not isinstance(when, str):
        return
    if match := _ISO_BASIC.match(when):
        y, mo, d, h, mi, sec = match.groups()
        call.set_param("when", f"{y}-{mo}-{d}T{h}:{mi}:{sec}Z")
    elif match := _ISO_NO_SECONDS.match(when):
        call.set_param("when", f"{match.group(1)}:00{match.group(2)}")


variant(
    "q_iso8601_outside_rfc3339",
    ("Q-2p",),
    ("Q-2",),
    "ISO 8601 basic format and times without seconds are accepted",
)(_request_rewrite(_iso8601_read_as_rfc3339))


def _long_names(call: Call, _b: CampaignBackend) -> None:
    name = call.params().get("name")
    if isinstance(name, str) and len(name) > 255:
        call.set_param("name", name[:255])


variant("q_long_names", ("Q-4",), ("Q-4",), "names over 255 characters are cut, not refused")(
    _request_rewrite(_long_names)
)


def _any_scheme(call: Call, _b: CampaignBackend) -> None:
    url = call.params().get("event_callback")
    if isinstance(url, str) and url.startswith("ftp://"):
        call.set_param("event_callback", "http://" + url[6:])


variant("q_callback_any_scheme", ("Q-4",), ("Q-4",), "an ftp:// event_callback is accepted")(
    _request_rewrite(_any_scheme)
)


def _put_clears_segments(call: Call, _b: CampaignBackend) -> None:
    params = call.params()
    if call.method == "PUT" and "segments" not in params and "segments[]" not in params:
        if call.json is not None:
            call.json["segments"] = []
        elif call.form is not None:
            call.form.append(("segments[]", ""))


variant("q_put_not_partial", ("Q-5p",), ("Q-5",), "a PUT without segments clears them")(
    _request_rewrite(_put_clears_segments)
)


def _ignore_list_in_put(call: Call, _b: CampaignBackend) -> None:
    if call.method == "PUT":
        call.drop_param("list")


variant("q_list_in_put_ignored", ("Q-5p",), ("Q-5",), "`list` in a PUT is silently ignored")(
    _request_rewrite(_ignore_list_in_put)
)


@variant("q_reference_is_invalid", ("Q-6", "Q-6s"), ("Q-6",), "references fail as `invalid`")
def _q_reference_is_invalid(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        failure = _failure(doc)
        if failure is not None and failure.get("code") == "reference":
            failure["code"] = "invalid"
        return status

    install(app, on_response=on_response)


def _bouncing_only_by_name(call: Call, _b: CampaignBackend) -> None:
    if str(call.params().get("domain")) == "2":
        call.set_param("domain", 1 if call.json is not None else "1")


variant("q_non_bouncing_accepted", ("Q-6",), ("Q-6",), "a non-bouncing domain is accepted")(
    _request_rewrite(_bouncing_only_by_name)
)


# -- M: the state machine --------------------------------------------------------------


def _draft_to_ready(call: Call, backend: CampaignBackend) -> None:
    ident = call.campaign_id
    ready = call.method == "PUT" and call.params().get("state") == "READY"
    if ready and ident is not None and _state(backend, ident) is State.DRAFT:
        backend.force_state(ident, State.SCHEDULED)


variant("m_draft_to_ready", ("M-2",), ("M-2",), "DRAFT -> READY is accepted")(
    _request_rewrite(_draft_to_ready)
)


def _put_after_send(call: Call, backend: CampaignBackend) -> None:
    state = _state(backend, call.campaign_id)
    if call.method == "PUT" and state in (State.DONE, State.ERROR):
        campaign = next(c for c in backend.campaigns() if c.id == call.campaign_id)
        call.answer = (200, {"success": True, "data": campaign.to_wire()})


variant("m_put_in_done", ("M-5",), ("M-5",), "a PUT in DONE answers success")(
    _request_rewrite(_put_after_send)
)


def _delete_while_sending(call: Call, backend: CampaignBackend) -> None:
    ident = call.campaign_id
    if call.method == "DELETE" and ident is not None and _state(backend, ident) is State.SENDING:
        backend.force_state(ident, State.DONE)


variant("m_delete_sending", ("M-5",), ("M-5",), "DELETE in SENDING succeeds")(
    _request_rewrite(_delete_while_sending)
)


def _never_sends(call: Call, campaign: dict[str, Any]) -> None:
    if campaign["state"] in ("SENDING", "DONE", "ERROR"):
        campaign["state"] = "READY"


variant("m_ready_never_sends", ("M-4",), ("M-4",), "a due READY campaign shows READY forever")(
    _campaign_rewrite(_never_sends)
)


def _when_not_required(call: Call, _b: CampaignBackend) -> None:
    params = call.params()
    if params.get("state") in ("SCHEDULED", "READY") and params.get("when") in (None, ""):
        call.set_param("when", FUTURE if call.json is not None else str(FUTURE))


variant("m_when_not_required", ("M-3",), ("M-3",), "SCHEDULED/READY without `when` accepted")(
    _request_rewrite(_when_not_required)
)


@variant("m_ids_reused", ("M-5",), ("M-5",), "the id of the last deleted campaign is given again")
def _m_ids_reused(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method == "DELETE" and campaign is not None and campaign["id"] == b.next_id - 1:
            b._next_id = campaign["id"]  # the planted bug
        return status

    install(app, on_response=on_response)


def _stay_put_drops_fields(call: Call, backend: CampaignBackend) -> None:
    state = call.params().get("state")
    current = _state(backend, call.campaign_id)
    if call.method == "PUT" and call.form is not None and state == getattr(current, "value", 0):
        call.form = [("state", str(state))]


variant(
    "m_stay_put_ignores_fields",
    ("M-2",),
    ("M-2",),
    "asking for the current state drops the PUT's other fields",
)(_request_rewrite(_stay_put_drops_fields))

# -- A, E, C: the callbacks layer adds its variants here (see README.md in this folder). ---
