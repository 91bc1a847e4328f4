"""The state machine through HTTP, edge by edge, legal and illegal (M-1, M-2, M-3, M-4, M-5)."""

from __future__ import annotations

import itertools

import pytest

from .conftest import FUTURE, PAST, Api

STATES = ["DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR"]
CLIENT = {"DRAFT", "SCHEDULED", "READY"}
TWO_WAY = {
    ("DRAFT", "SCHEDULED"),
    ("SCHEDULED", "DRAFT"),
    ("SCHEDULED", "READY"),
    ("READY", "SCHEDULED"),
}


def _put_allowed(source: str, target: str) -> bool:
    """M-2 and M-5 as a table: stay put or take a two-way edge, and only before sending."""
    return source in CLIENT and (source == target or (source, target) in TWO_WAY)


def _campaign_in(api: Api, state: str) -> int:
    """A campaign in `state`, reached through the API where a client can reach it."""
    ident = int(api.create(when=FUTURE).data["id"])
    path = {"DRAFT": [], "SCHEDULED": ["SCHEDULED"], "READY": ["SCHEDULED", "READY"]}
    for step in path.get(state, []):
        assert api.update(ident, state=step).ok
    if state not in CLIENT:
        api.force(ident, state)
    assert api.get(ident).data["state"] == state
    return ident


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATES, STATES)))
def test_M2_M5_put_state_edge(api: Api, source: str, target: str) -> None:
    """M-1/M-2/M-5: every (from, to) pair on PUT; illegal ones are a conflict and change nothing."""
    ident = _campaign_in(api, source)
    before = api.get(ident).data
    answer = api.update(ident, state=target, name="renamed")
    assert answer.status == 200
    if _put_allowed(source, target):
        assert answer.ok, answer.body
        assert answer.data["state"] == target
        assert answer.data["name"] == "renamed"  # M-2: the PUT's other fields still apply
    else:
        assert answer.body["success"] is False
        assert answer.code == "conflict"
        assert "state" in answer.data["errors"]
        assert api.get(ident).data == before


@pytest.mark.parametrize("target", STATES)
def test_M2_post_initial_state(api: Api, target: str) -> None:
    """M-2: a POST may start a campaign in DRAFT, SCHEDULED or READY, nothing else."""
    answer = api.create(state=target, when=FUTURE)
    assert answer.status == 200
    if target in CLIENT:
        assert answer.ok, answer.body
        assert answer.data["state"] == target
    else:
        assert answer.code == "conflict"
        assert api.get(1).status == 404  # nothing was created


def test_M1_post_defaults_to_draft(api: Api) -> None:
    """Q-4/M-1: `state` defaults to DRAFT."""
    assert api.create().data["state"] == "DRAFT"


@pytest.mark.parametrize("state", ["SCHEDULED", "READY"])
def test_M3_scheduled_and_ready_need_when(api: Api, state: str) -> None:
    """M-3: SCHEDULED and READY need `when`, on POST and on PUT (clearing it too)."""
    assert api.create(state=state).code == "invalid"
    ident = _campaign_in(api, state)
    answer = api.update(ident, when=None)
    assert answer.code == "invalid"
    assert "when" in answer.data["errors"]
    assert api.get(ident).data["when"] == FUTURE


def test_M3_draft_may_clear_when(api: Api) -> None:
    """Q-5/M-3: `when` may be cleared in DRAFT."""
    ident = _campaign_in(api, "DRAFT")
    assert api.update(ident, when=None).data["when"] is None


def test_M4_ready_with_past_when_sends_at_once(api: Api) -> None:
    """M-4: READY whose `when` has passed moves to SENDING at once, by the server alone."""
    answer = api.create(state="READY", when=PAST)
    assert answer.ok
    assert api.get(answer.data["id"]).data["state"] in {"SENDING", "DONE"}


def test_M4_ready_moves_when_its_time_comes(api: Api, clock: object) -> None:
    """M-4: the clock reaching `when` moves READY to SENDING; SCHEDULED stays put."""
    ready = api.create(state="READY", when=FUTURE).data["id"]
    scheduled = api.create(state="SCHEDULED", when=FUTURE).data["id"]
    assert api.get(ready).data["state"] == "READY"
    clock.value = FUTURE  # type: ignore[attr-defined]
    assert api.get(ready).data["state"] in {"SENDING", "DONE"}
    assert api.get(scheduled).data["state"] == "SCHEDULED"


@pytest.mark.parametrize("state", STATES)
def test_M5_delete_allowed_in_every_state_but_sending(api: Api, state: str) -> None:
    """M-5: DELETE works in every state but SENDING, and returns the deleted campaign (R-3)."""
    ident = _campaign_in(api, state)
    answer = api.call("DELETE", f"/campaign/{ident}")
    if state == "SENDING":
        assert answer.code == "conflict"
        assert api.get(ident).data["state"] == "SENDING"
    else:
        assert answer.ok
        assert answer.data["id"] == ident
        assert answer.data["state"] == state
        assert api.get(ident).status == 404


def test_M5_ids_are_never_reused(api: Api) -> None:
    """M-5: a deleted campaign's id is not given to a new one."""
    first = api.create().data["id"]
    assert api.call("DELETE", f"/campaign/{first}").ok
    second = api.create().data["id"]
    assert second > first
