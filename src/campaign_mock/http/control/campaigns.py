"""`/_mock/campaigns/<id>/...`: what a test does to one campaign beyond the API (payloads, a
forced state, an aborted send); with `--isolate accounts`, in the caller's world."""

from __future__ import annotations

from flask import Blueprint, Response, request

from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.models import Channel, State
from campaign_mock.http.context import mock
from campaign_mock.http.control.reading import json_object
from campaign_mock.http.envelope import success
from campaign_mock.http.world import account_or_401

blueprint = Blueprint("campaign_control", __name__, url_prefix="/_mock")


@blueprint.put("/campaigns/<positive_int:ident>/payloads")
def set_payloads(ident: int) -> Response:
    """Which payloads (email, sms) a campaign carries (A-2); JSON `{"payloads": [...]}`."""
    document = request.get_json(silent=True)
    raw = document.get("payloads") if isinstance(document, dict) else None
    valid = {c.value for c in Channel}
    if not isinstance(raw, list) or not all(isinstance(p, str) and p in valid for p in raw):
        raise InvalidError(
            "payloads: must be a JSON array drawn from email, sms",
            {"payloads": ["must be an array drawn from email, sms"]},
        )
    payloads = tuple(Channel(p) for p in dict.fromkeys(raw))
    return success(mock().set_payloads(account_or_401(), ident, payloads).to_wire())


@blueprint.put("/campaigns/<positive_int:ident>/state")
def force_state(ident: int) -> Response:
    """Forces a state, bypassing the state machine; JSON `{"state": "ERROR"}`."""
    document = request.get_json(silent=True)
    raw = document.get("state") if isinstance(document, dict) else None
    if not isinstance(raw, str) or raw not in State.__members__:
        raise InvalidError(
            f"state: must be one of {', '.join(State)}",
            {"state": [f"must be one of {', '.join(State)}"]},
        )
    return success(mock().force_state(account_or_401(), ident, State(raw)).to_wire())


@blueprint.post("/campaigns/<positive_int:ident>/abort")
def abort_campaign(ident: int) -> Response:
    """An injected fault: the SENDING campaign's send cannot go on; it ends in ERROR (M-4)."""
    reason = json_object().get("error", "send aborted through the control API")
    if not isinstance(reason, str):
        raise InvalidError("error: must be a text", {"error": ["must be a non-empty string"]})
    return success(mock().abort(account_or_401(), ident, reason).to_wire())
