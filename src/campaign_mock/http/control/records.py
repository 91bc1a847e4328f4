"""The control API's records of the mock: reset, fixtures, state, store and request journal.

With `--isolate accounts`, reset, state and the request journal act on the world of the
account the request's credentials name, and on every world for the control token alone
(http/world.py refuses a request naming no account without it).

No answer shows a password or an API key (`***` instead) unless asked with `?secrets=1`,
the opt-in `campaign-contract init --from-mock` uses; a PUT of fixtures takes them, and an
account sent back with `***` keeps the secrets it has.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from campaign_mock.domain.errors import FixturesError, InvalidError
from campaign_mock.domain.models import Account, Fixtures
from campaign_mock.domain.world import World
from campaign_mock.fixtures.document import fixtures_from_document, fixtures_to_document
from campaign_mock.http.auth import wants_secrets
from campaign_mock.http.context import mock
from campaign_mock.http.control.reading import json_object
from campaign_mock.http.envelope import success
from campaign_mock.http.redaction import REDACTED
from campaign_mock.http.world import caller

blueprint = Blueprint("control", __name__, url_prefix="/_mock")


@blueprint.post("/reset")
def reset() -> Response:
    """As the mock started (`Mock.reset`), but for what `{"keep": [...]}` names; isolated,
    the caller's world alone (or the whole mock, for the control token without credentials).
    Only a JSON body is read: any other, which only the control token lets through
    (http/guard.py), asks to keep nothing, as before a reset took one."""
    keep = json_object().get("keep", []) if request.is_json else []
    if not isinstance(keep, list):
        message = "must be a list of names"
        raise InvalidError(f"keep: {message}", {"keep": [message]})
    account = caller()
    mock().reset(account, keep)
    if account is None:
        return success({"reset": True})
    return success({"reset": True, "account": account})


@blueprint.get("/fixtures")
def get_fixtures() -> Response:
    return success(_shown(mock().fixtures))


@blueprint.put("/fixtures")
def put_fixtures() -> Response:
    """Replaces the fixtures (JSON body, same shape as the fixtures file), then resets."""
    document = _kept_secrets(request.get_json(silent=True), mock().fixtures)
    try:
        fixtures = fixtures_from_document(document)
    except FixturesError as exc:
        raise InvalidError(str(exc), {"fixtures": [str(exc)]}) from None
    return success(_shown(mock().load_fixtures(fixtures)))


@blueprint.get("/state")
def get_state() -> Response:
    """Everything held, for tests and for `campaign-contract init --from-mock`."""
    core = mock()
    answer: dict[str, object] = {"fixtures": _shown(core.fixtures)}
    account = caller()
    if core.isolated and account is None:
        answer["worlds"] = {name: _world_state(w) for name, w in core.worlds_of(None)}
    else:
        answer.update(_world_state(core.world(account)))
    reading = core.clock_reading()
    answer.update(now=reading.now, clock=reading.to_wire(), auth=core.auth)
    if core.isolated:
        answer["isolate"] = "accounts"
        answer["account"] = account
    return success(answer)


@blueprint.get("/store")
def get_store() -> Response:
    """Where the state lives; on a shared store, this instance and whether it sends."""
    return success(mock().store_status())


@blueprint.get("/requests")
def list_requests() -> Response:
    limit = request.args.get("limit", type=int)
    core = mock()
    shown = core.requests(caller(), limit if limit and limit > 0 else None)
    if not core.isolated:
        return success({"requests": [entry.to_wire() for entry, _name in shown]})
    return success({"requests": [{**e.to_wire(), "account": name} for e, name in shown]})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    mock().clear_requests(caller())
    return success({"cleared": True})


def _world_state(held: World) -> dict[str, object]:
    return {"campaigns": [c.to_wire() for c in held.campaigns()], "next_id": held.next_id}


def _shown(fixtures: Fixtures) -> dict[str, object]:
    """The fixtures document, each password and API key as `***` unless `?secrets=1`."""
    document = fixtures_to_document(fixtures)
    if wants_secrets(request):
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
