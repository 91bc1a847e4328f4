"""`/_mock/clock`: read, set, advance, freeze and resume the mock's one clock."""

from __future__ import annotations

from flask import Blueprint, Response

from campaign_mock.core.mock import MAX_SPEED
from campaign_mock.domain.errors import InvalidError
from campaign_mock.http import numbers
from campaign_mock.http.context import mock
from campaign_mock.http.control.reading import json_object, moment
from campaign_mock.http.envelope import success

blueprint = Blueprint("clock", __name__, url_prefix="/_mock")


def _answer() -> Response:
    core = mock()
    core.catch_up()
    return success({**core.clock_reading().to_wire(), "next_due": core.next_due()})


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
    """`{"seconds": N}`: moves forward; messages up to the new time are drawn first."""
    mock().advance_clock(numbers.number(json_object(), "seconds"))
    return _answer()


@blueprint.post("/clock/set")
def set_clock() -> Response:
    """`{"now": <Unix seconds or ISO 8601>}`."""
    document = json_object()
    if "now" not in document:
        raise InvalidError("now: is required", {"now": ["is required"]})
    mock().move_clock(moment(document["now"]))
    return _answer()


@blueprint.post("/clock/freeze")
def freeze_clock() -> Response:
    mock().freeze_clock()
    return _answer()


@blueprint.post("/clock/resume")
def resume_clock() -> Response:
    mock().resume_clock()
    return _answer()
