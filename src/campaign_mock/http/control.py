"""The control API under `/_mock/`: reset, fixtures, state and the request journal."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, request

from ..domain.clock import Clock, MockClock
from ..domain.errors import FixturesError, InvalidError
from ..domain.models import Channel, State
from ..fixtureset import fixtures_from_document, fixtures_to_document
from .context import backend, state
from .envelope import success

blueprint = Blueprint("control", __name__, url_prefix="/_mock")


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the fixtures the mock was started with, or those last PUT."""
    backend().reset()
    state().journal.clear()
    return success({"reset": True})


@blueprint.get("/fixtures")
def get_fixtures() -> Response:
    return success(fixtures_to_document(backend().fixtures))


@blueprint.put("/fixtures")
def put_fixtures() -> Response:
    """Replaces the fixtures (JSON body, same shape as the fixtures file), then resets."""
    document = request.get_json(silent=True)
    try:
        fixtures = fixtures_from_document(document)
    except FixturesError as exc:
        raise InvalidError(str(exc), {"fixtures": [str(exc)]}) from None
    backend().load_fixtures(fixtures)
    state().journal.clear()
    return success(fixtures_to_document(fixtures))


@blueprint.get("/state")
def get_state() -> Response:
    """Everything held, for tests and for `campaign-contract init --from-mock`."""
    held = backend()
    return success(
        {
            "fixtures": fixtures_to_document(held.fixtures),
            "campaigns": [c.to_wire() for c in held.campaigns()],
            "next_id": held.next_id,
            "now": held.clock.now(),
            "clock": _clock_reading(held.clock),
            "auth": state().auth,
        }
    )


def _clock_reading(clock: Clock) -> dict[str, object]:
    """Mode and speed too, so a client (`campaign-contract init --from-mock`) can scale waits."""
    if isinstance(clock, MockClock):
        return clock.reading().to_wire()
    return {"now": clock.now(), "mode": "real", "speed": 1.0}


@blueprint.get("/requests")
def list_requests() -> Response:
    limit = request.args.get("limit", type=int)
    entries = state().journal.entries(limit if limit and limit > 0 else None)
    return success({"requests": [e.to_wire() for e in entries]})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    state().journal.clear()
    return success({"cleared": True})


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
    return success(backend().set_payloads(ident, payloads).to_wire())


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
    return success(backend().force_state(ident, State(raw)).to_wire())


#: The normative description the mock implements, like Prism's and WireMock's own endpoints.
spec_blueprint = Blueprint("spec", __name__)


@spec_blueprint.get("/openapi.yaml")
def openapi_document() -> Response:
    text = resources.files("campaign_mock").joinpath("openapi.yaml").read_text("utf-8")
    return Response(text, mimetype="application/yaml")
