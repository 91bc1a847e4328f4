"""The control API under `/_mock/`: reset, fixtures, state and the request journal.

With `--isolate accounts`, reset, state and the request journal act on the world of the
account the request's credentials name, and on every world without credentials; the routes
of one campaign act on the caller's world only (http/world.py).

No answer shows a password or an API key (`***` instead) unless asked with `?secrets=1`,
the opt-in `campaign-contract init --from-mock` uses; a PUT of fixtures takes them, and an
account sent back with `***` keeps the secrets it has.
"""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, request

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import Clock, MockClock
from campaign_mock.domain.errors import FixturesError, InvalidError
from campaign_mock.domain.models import Account, Channel, Fixtures, State
from campaign_mock.fixtures.document import fixtures_from_document, fixtures_to_document
from campaign_mock.http.context import backend, state, worlds
from campaign_mock.http.envelope import success
from campaign_mock.http.journal import REDACTED, JournalEntry
from campaign_mock.http.world import caller, every_journal, journal_of, world

blueprint = Blueprint("control", __name__, url_prefix="/_mock")


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the fixtures the mock was started with, or those last PUT; isolated, the
    caller's world alone (or every world, without credentials)."""
    account = caller()
    worlds().reset(account)
    if account is None:
        for _name, journal in every_journal():
            journal.clear()
        return success({"reset": True})
    journal_of(account).clear()
    return success({"reset": True, "account": account})


@blueprint.get("/fixtures")
def get_fixtures() -> Response:
    return success(_shown(backend().fixtures))


@blueprint.put("/fixtures")
def put_fixtures() -> Response:
    """Replaces the fixtures (JSON body, same shape as the fixtures file), then resets."""
    document = _kept_secrets(request.get_json(silent=True), backend().fixtures)
    try:
        fixtures = fixtures_from_document(document)
    except FixturesError as exc:
        raise InvalidError(str(exc), {"fixtures": [str(exc)]}) from None
    worlds().load_fixtures(fixtures)
    for _name, journal in every_journal():
        journal.clear()
    state().journals.clear()
    return success(_shown(fixtures))


@blueprint.get("/state")
def get_state() -> Response:
    """Everything held, for tests and for `campaign-contract init --from-mock`."""
    held = backend()
    answer: dict[str, object] = {"fixtures": _shown(held.fixtures)}
    account = caller()
    if state().isolated and account is None:
        answer["worlds"] = {name: _world_state(w) for name, w in worlds().named()}
    else:
        answer.update(_world_state(world()))
    answer.update(now=held.clock.now(), clock=_clock_reading(held.clock), auth=state().auth)
    if state().isolated:
        answer["isolate"] = "accounts"
        answer["account"] = account
    return success(answer)


@blueprint.get("/store")
def get_store() -> Response:
    """Where the state lives; on a shared store, this instance and whether it sends."""
    return success(backend().store_status())


def _world_state(held: CampaignBackend) -> dict[str, object]:
    return {"campaigns": [c.to_wire() for c in held.campaigns()], "next_id": held.next_id}


def _shown(fixtures: Fixtures) -> dict[str, object]:
    """The fixtures document, each password and API key as `***` unless `?secrets=1`."""
    document = fixtures_to_document(fixtures)
    if request.args.get("secrets") in {"1", "true"}:
        return document
    document["accounts"] = [
        {"username": a.username, "password": REDACTED, "api_keys": [REDACTED] * len(a.api_keys)}
        for a in fixtures.accounts
    ]
    return document


def _kept_secrets(document: object, current: Fixtures) -> object:
    """An account PUT back as shown (`***`) keeps the password and keys it has now."""
    if not isinstance(document, dict) or not isinstance(document.get("accounts"), list):
        return document
    held: dict[str, Account] = {a.username: a for a in current.accounts}
    accounts: list[object] = []
    for account in document["accounts"]:
        name = account.get("username") if isinstance(account, dict) else None
        known = held.get(name) if isinstance(name, str) else None
        if isinstance(account, dict) and known is not None:
            account = dict(account)
            if account.get("password") == REDACTED:
                account["password"] = known.password
            keys = account.get("api_keys")
            shown = keys if isinstance(keys, list) else []
            if 0 < len(shown) == len(known.api_keys) and all(k == REDACTED for k in shown):
                account["api_keys"] = list(known.api_keys)
        accounts.append(account)
    return {**document, "accounts": accounts}


def _clock_reading(clock: Clock) -> dict[str, object]:
    """Mode and speed too, so a client (`campaign-contract init --from-mock`) can scale waits."""
    if isinstance(clock, MockClock):
        return clock.reading().to_wire()
    return {"now": clock.now(), "mode": "real", "speed": 1.0}


@blueprint.get("/requests")
def list_requests() -> Response:
    limit = request.args.get("limit", type=int)
    newest = limit if limit and limit > 0 else None
    if not state().isolated:
        return success({"requests": [e.to_wire() for e in state().journal.entries(newest)]})
    account = caller()
    scope = [(account, journal_of(account))] if account is not None else every_journal()
    merged: list[tuple[JournalEntry, str | None]] = sorted(
        ((e, name) for name, journal in scope for e in journal.entries()),
        key=lambda pair: pair[0].seq,
    )
    shown = merged[-newest:] if newest else merged
    return success({"requests": [{**e.to_wire(), "account": name} for e, name in shown]})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    account = caller()
    scope = [(account, journal_of(account))] if account is not None else every_journal()
    for _name, journal in scope:
        journal.clear()
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
    return success(world().set_payloads(ident, payloads).to_wire())


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
    return success(world().force_state(ident, State(raw)).to_wire())


#: The normative description the mock implements, like Prism's and WireMock's own endpoints.
spec_blueprint = Blueprint("spec", __name__)


@spec_blueprint.get("/openapi.yaml")
def openapi_document() -> Response:
    text = resources.files("campaign_mock").joinpath("openapi.yaml").read_text("utf-8")
    return Response(text, mimetype="application/yaml")
