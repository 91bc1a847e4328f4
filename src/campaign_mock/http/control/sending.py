"""The simulation's control API under `/_mock/`: clock, settings, faults, delivery journal.

The clock, settings and faults are the mock's, whatever world asks; with `--isolate
accounts` the deliveries and a campaign's abort act on the caller's world (http/world.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from campaign_mock.delivery import Dispatcher
from campaign_mock.delivery.dispatcher import MAX_LONG_POLLS, step_aside
from campaign_mock.domain.aggregation import Event
from campaign_mock.domain.clock import ClockMode, ClockReading, MockClock
from campaign_mock.domain.errors import InvalidError, NotFoundError
from campaign_mock.domain.timestamp import MAX_TIMESTAMP, TimestampError, parse_when
from campaign_mock.http import numbers
from campaign_mock.http.context import backend, worlds
from campaign_mock.http.envelope import HttpError, success
from campaign_mock.http.world import world

blueprint = Blueprint("simulation", __name__, url_prefix="/_mock")

#: Where the app keeps its dispatcher (flaskr's way: `app.extensions`).
EXTENSION = "campaign_mock.delivery"
#: The longest a long-poll may wait, in real seconds.
MAX_WAIT = 120.0
#: The fastest a running clock may go (mock seconds per real second: 11.6 days a second).
MAX_SPEED = 1_000_000.0


def _install(setup: BlueprintSetupState) -> None:
    held = setup.app.extensions["campaign_mock"]
    setup.app.extensions.setdefault(EXTENSION, Dispatcher(held.backend, worlds=held.worlds))


blueprint.record_once(_install)


def dispatcher_of(app: Flask) -> Dispatcher:
    """The app's callback dispatcher; replace its `transport` to deliver in-process."""
    found: Dispatcher = app.extensions[EXTENSION]
    return found


def _dispatcher() -> Dispatcher:
    return dispatcher_of(current_app)


# -- the clock -------------------------------------------------------------------


def _clock() -> MockClock:
    clock = backend().clock
    if not isinstance(clock, MockClock):
        raise InvalidError(
            "clock: this mock runs on a clock the control API cannot move",
            {"clock": ["is not controllable"]},
        )
    return clock


def _reading() -> ClockReading:
    clock = backend().clock
    if isinstance(clock, MockClock):
        return clock.reading()
    return ClockReading(clock.now(), ClockMode.REAL, 1.0)


def _clock_answer() -> Response:
    worlds().tick()
    return success({**_reading().to_wire(), "next_due": worlds().next_due()})


@blueprint.get("/clock")
def get_clock() -> Response:
    return _clock_answer()


@blueprint.put("/clock")
def put_clock() -> Response:
    """`{"now": .., "mode": "real"|"frozen", "speed": ..}`, any of them."""
    document = _object()
    clock = _clock()
    mode = document.get("mode")
    if mode not in (None, "frozen", "real"):
        raise InvalidError("mode: must be real or frozen", {"mode": ["must be real or frozen"]})
    # Every field is read before the clock changes: a bad one changes nothing.
    speed = (
        numbers.number(document, "speed", positive=True, high=MAX_SPEED)
        if "speed" in document
        else None
    )
    target = _moment(document["now"]) if "now" in document else None
    if speed is not None:
        clock.set_speed(speed)
    if mode == "frozen":
        clock.freeze()  # before `now`, so a running clock stops exactly there
    if target is not None:
        _move_to(clock, target)
    if mode == "real":
        clock.resume()
    return _clock_answer()


@blueprint.post("/clock/advance")
def advance_clock() -> Response:
    """`{"seconds": N}`: moves forward; messages up to the new time are drawn first."""
    seconds = numbers.number(_object(), "seconds")
    clock = _clock()
    target = clock.now() + seconds
    if target > MAX_TIMESTAMP:
        message = "would move the clock past the year 9999"
        raise InvalidError(f"seconds: {message}", {"seconds": [message]})
    _move_to(clock, target)
    return _clock_answer()


@blueprint.post("/clock/set")
def set_clock() -> Response:
    """`{"now": <Unix seconds or ISO 8601>}`."""
    document = _object()
    if "now" not in document:
        raise InvalidError("now: is required", {"now": ["is required"]})
    _move_to(_clock(), _moment(document["now"]))
    return _clock_answer()


@blueprint.post("/clock/freeze")
def freeze_clock() -> Response:
    _clock().freeze()
    return _clock_answer()


@blueprint.post("/clock/resume")
def resume_clock() -> Response:
    _clock().resume()
    return _clock_answer()


def _move_to(clock: MockClock, target: float) -> None:
    # Draw the sends up to the target while the clock still shows the old time, a chunk per
    # hold of the lock, so API requests made meanwhile find nothing heavy left to do.
    worlds().tick(horizon=target, pause=step_aside)
    clock.set(target)
    worlds().tick(pause=step_aside)


# -- settings and faults ---------------------------------------------------------


@blueprint.get("/settings")
def get_settings() -> Response:
    return success(backend().simulation.settings.to_wire())


@blueprint.put("/settings")
def put_settings() -> Response:
    """A partial update; nested objects (`email`, `delays`, `faults`...) may be partial."""
    held = backend()
    worlds().configure(held.simulation.settings.updated(_object()))
    return success(held.simulation.settings.to_wire())


@blueprint.get("/faults")
def get_faults() -> Response:
    return success(_faults())


@blueprint.put("/faults")
def put_faults() -> Response:
    """Callback-side faults (opt-in): `duplicate_rate`, `reorder`, `extra_delay`,
    `break_contract`; a partial update."""
    held = backend()
    worlds().configure(held.simulation.settings.updated({"faults": _object()}))
    return success(_faults())


def _faults() -> dict[str, object]:
    faults = backend().simulation.settings.to_wire()["faults"]
    assert isinstance(faults, dict)
    return faults


# -- deliveries ------------------------------------------------------------------


@blueprint.get("/deliveries")
def list_deliveries() -> Response:
    """The journal: every attempt, oldest batch first; `?campaign=ID`, `?body=0` to omit bodies,
    `?summary=1` for the counters alone."""
    campaign = request.args.get("campaign", type=int)
    with_body = request.args.get("body", "1") not in {"0", "false"}
    held = world()
    outbox = held.simulation.outbox
    summary = request.args.get("summary", "0") not in {"0", "false"}
    entries = [] if summary else outbox.entries(campaign)
    now = backend().clock.now()
    acknowledged: dict[str, dict[str, int]] = {}
    with outbox.lock:
        bodies = {i: outbox.batches[i] for i in {e.batch for e in entries} if i in outbox.batches}
        for (ident, event), count in outbox.acknowledged.items():
            if campaign is None or ident == campaign:
                acknowledged.setdefault(str(ident), {})[event.value] = count
    return success(
        {
            "deliveries": [
                e.to_wire(bodies[e.batch].body() if with_body and e.batch in bodies else None)
                for e in entries
            ],
            "acknowledged": acknowledged,
            "busy": outbox.busy(now),
            "next_due": outbox.next_due(),
            "sending": held.simulation.sending(),
        }
    )


@blueprint.post("/deliveries/wait")
def wait_deliveries() -> Response:
    """Long-poll. `{"campaign", "event", "count", "timeout"}`: until that many addresses of
    that event are acknowledged; `{"idle": true, "timeout"}`: until nothing due is unanswered."""
    document = _object()
    timeout = numbers.number(document, "timeout", default=10.0, high=MAX_WAIT)
    dispatcher = _dispatcher()
    held = world()
    idle = document.get("idle") is True
    campaign, count, event = 0, 0, Event.DELIVERED
    if not idle:
        campaign = numbers.whole(document, "campaign")
        count = numbers.whole(document, "count")
        raw_event = document.get("event")
        if raw_event not in {e.value for e in Event}:
            raise InvalidError(
                "event: must be one of submitted, delivered, bounced, opened, clicked",
                {"event": ["is not an event type"]},
            )
        event = Event(raw_event)
    if not dispatcher.long_polls.acquire(blocking=False):
        raise HttpError(
            429,
            "busy",
            f"{MAX_LONG_POLLS} long-polls are waiting already; try again in a moment",
            {"Retry-After": "1"},
        )
    try:
        if idle:
            return success({"reached": dispatcher.wait_idle(timeout, (held,))})
        found = dispatcher.wait_acknowledged(campaign, event, count, timeout, held)
        return success({"reached": found >= count, "acknowledged": found})
    finally:
        dispatcher.long_polls.release()


@blueprint.post("/deliveries/flush")
def flush_deliveries() -> Response:
    """Every event so far is reported now, ignoring the window; waiting retries go now too."""
    held = world()
    held.flush_callbacks()
    return success({"busy": held.simulation.outbox.busy(held.clock.now())})


@blueprint.post("/deliveries/<positive_int:ident>/redeliver")
def redeliver(ident: int) -> Response:
    held = world()
    batch = held.redeliver(ident)
    if batch is None:
        raise NotFoundError(f"delivery batch {ident} does not exist")
    return success({"batch": batch.id, "campaign": batch.campaign, "state": batch.state.value})


@blueprint.post("/campaigns/<positive_int:ident>/abort")
def abort_campaign(ident: int) -> Response:
    """An injected fault: the SENDING campaign's send cannot go on; it ends in ERROR (M-4)."""
    document = _object()
    reason = document.get("error", "send aborted through the control API")
    if not isinstance(reason, str) or not reason:
        raise InvalidError("error: must be a text", {"error": ["must be a non-empty string"]})
    return success(world().abort_campaign(ident, reason).to_wire())


# -- request reading -------------------------------------------------------------


def _object() -> dict[str, Any]:
    """The JSON object of the body; every number in it finite and in range (`numbers`)."""
    if not request.get_data():
        return {}
    try:
        document = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        document = None
    if not isinstance(document, dict):
        raise InvalidError("body: must be a JSON object", {"body": ["must be a JSON object"]})
    numbers.check_finite(document)
    return document


def _moment(value: object) -> float:
    """Unix seconds (a float may carry a fraction) or ISO 8601, from 1970 to the year 9999."""
    if isinstance(value, float) and not value.is_integer():
        if not 0 <= value <= MAX_TIMESTAMP:  # NaN fails this too
            message = "must be a finite time from 1970 to the year 9999"
            raise InvalidError(f"now: {message}", {"now": [message]})
        return value
    try:
        return float(parse_when(value))
    except TimestampError as exc:
        raise InvalidError(f"now: {exc}", {"now": [str(exc)]}) from None
