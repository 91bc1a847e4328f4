"""`/_mock/clock`: read, set, advance, freeze and resume the mock's one clock."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from campaign_mock.core.mock import MAX_SPEED
from campaign_mock.core.settling import MAX_SETTLE_TIMEOUT, SETTLE_TIMEOUT, ClockMove
from campaign_mock.domain.errors import InvalidError
from campaign_mock.http import numbers
from campaign_mock.http.context import mock
from campaign_mock.http.control.reading import json_object, moment
from campaign_mock.http.envelope import success
from campaign_mock.http.world import caller

blueprint = Blueprint("clock", __name__, url_prefix="/_mock")


def _answer(move: ClockMove | None = None) -> Response:
    core = mock()
    core.catch_up()
    settled = {} if move is None or move.settled is None else move.settled.to_wire()
    return success({**core.clock_reading().to_wire(), "next_due": core.next_due(), **settled})


def _settle(document: dict[str, Any]) -> float | None:
    """`"settle": true` (a JSON boolean) and its `"settle_timeout"` (real seconds): how long
    the move may wait for the callbacks it made due; None: it does not wait."""
    settle = document.get("settle", False)
    if not isinstance(settle, bool):
        message = "must be true or false"
        raise InvalidError(f"settle: {message}", {"settle": [message]})
    timeout = numbers.number(
        document, "settle_timeout", default=SETTLE_TIMEOUT, positive=True, high=MAX_SETTLE_TIMEOUT
    )
    return timeout if settle else None


@blueprint.get("/clock")
def get_clock() -> Response:
    return _answer()


@blueprint.put("/clock")
def put_clock() -> Response:
    """`{"now": .., "mode": "real"|"frozen", "speed": ..}`, any of them."""
    document = json_object()
    speed = (
        numbers.number(document, "speed", positive=True, high=MAX_SPEED)
        if "speed" in document
        else None
    )
    now = moment(document["now"]) if "now" in document else None
    mock().set_clock(now=now, mode=document.get("mode"), speed=speed)
    return _answer()


@blueprint.post("/clock/advance")
def advance_clock() -> Response:
    """`{"seconds": N, "settle": true, "settle_timeout": S}`: moves forward; messages up to
    the new time are drawn first; settling, it answers once the callbacks due are made."""
    document = json_object()
    seconds = numbers.number(document, "seconds")
    settle = _settle(document)
    return _answer(mock().advance_clock(seconds, settle=settle, account=caller()))


@blueprint.post("/clock/set")
def set_clock() -> Response:
    """`{"now": <Unix seconds or ISO 8601>, "settle": true, "settle_timeout": S}`."""
    document = json_object()
    if "now" not in document:
        raise InvalidError("now: is required", {"now": ["is required"]})
    now = moment(document["now"])
    settle = _settle(document)
    return _answer(mock().move_clock(now, settle=settle, account=caller()))


@blueprint.post("/clock/freeze")
def freeze_clock() -> Response:
    mock().freeze_clock()
    return _answer()


@blueprint.post("/clock/resume")
def resume_clock() -> Response:
    mock().resume_clock()
    return _answer()
