"""Random sequences of POST/PUT/GET/DELETE against the live mock, checked against a plain model.

A Hypothesis RuleBasedStateMachine (Hypothesis' docs/stateful.rst) driving a real server over
HTTP: R-3, Q-4, Q-5, Q-6, M-2, M-3, M-4 and M-5 must hold after any sequence.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer

from .conftest import FUTURE, NOW, PAST, FixedClock

CLIENT = {"DRAFT", "SCHEDULED", "READY"}
SENT = {"SENDING", "DONE", "ERROR"}
TWO_WAY = {
    ("DRAFT", "SCHEDULED"),
    ("SCHEDULED", "DRAFT"),
    ("SCHEDULED", "READY"),
    ("READY", "SCHEDULED"),
}
SEGMENTS_OF_LIST = {1: {1, 2}, 2: {3}}
ABSENT = object()

names = st.one_of(st.text(max_size=12), st.sampled_from(["", "  ", "x" * 255, "x" * 256]))
states = st.sampled_from(["DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR"])
whens = st.sampled_from([None, FUTURE, PAST])
domains = st.sampled_from([1, 1, 2, 99])
segment_lists = st.lists(st.sampled_from([1, 2, 3]), max_size=3)
callbacks = st.sampled_from([None, "https://hooks.example/cb?k=v"])

_server: MockServer | None = None


def _live_server() -> MockServer:
    global _server
    if _server is None:
        _server = MockServer(create_app(clock=FixedClock()), port=0).start()
    return _server


class CampaignMachine(RuleBasedStateMachine):
    """The model is a dict of campaigns keyed by id, and the next id the server must give."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.base = _live_server().url
        self.http = requests.Session()
        self.http.auth = ("demo", "demo-password")
        assert self.http.post(f"{self.base}/_mock/reset", timeout=10).ok
        self.model: dict[int, dict[str, Any]] = {}
        self.highest_id = 0

    def teardown(self) -> None:
        self.http.close()

    # -- requests --------------------------------------------------------------

    def _send(self, method: str, path: str, fields: dict[str, Any], form: bool) -> dict[str, Any]:
        url = f"{self.base}{path}"
        if form:
            body: list[tuple[str, str]] = []
            for key, value in fields.items():
                if key == "segments":
                    body += [("segments[]", str(s)) for s in value] or [("segments[]", "")]
                else:
                    body.append((key, "" if value is None else str(value)))
            response = self.http.request(method, url, data=body, timeout=10)
        else:
            response = self.http.request(method, url, json=fields, timeout=10)
        assert response.status_code in {200, 404}, response.text
        result: dict[str, Any] = response.json()
        result["status"] = response.status_code
        return result

    # -- rules -----------------------------------------------------------------

    @initialize()
    def start_empty(self) -> None:
        assert self.http.get(f"{self.base}/campaign/1", timeout=10).status_code == 404

    @rule(
        target=ids,
        name=names,
        domain=domains,
        list_id=st.sampled_from([1, 2]),
        segments=segment_lists,
        state=st.one_of(st.none(), states),
        when=whens,
        callback=callbacks,
        form=st.booleans(),
    )
    def create(
        self,
        name: str,
        domain: int,
        list_id: int,
        segments: list[int],
        state: str | None,
        when: int | None,
        callback: str | None,
        form: bool,
    ) -> Any:
        fields: dict[str, Any] = {"name": name, "domain": domain, "list": list_id}
        fields |= {"segments": segments} if segments else {}
        fields |= {"state": state} if state else {}
        fields |= {"when": when} if when is not None else {}
        fields |= {"event_callback": callback} if callback else {}
        target = state or "DRAFT"
        expected = _expected_code(
            name=name,
            state_ok=target in CLIENT,
            when=when,
            target=target,
            domain=domain,
            segments_ok=set(segments) <= SEGMENTS_OF_LIST[list_id],
        )
        answer = self._send("POST", "/campaign", fields, form)
        if expected is not None:
            assert answer["success"] is False and answer["data"]["code"] == expected, answer
            return multiple()
        assert answer["success"] is True, answer
        data = answer["data"]
        assert data["id"] > self.highest_id  # M-5: ids are never reused
        self.highest_id = data["id"]
        self.model[data["id"]] = {
            "id": data["id"],
            "name": name,
            "domain": domain,
            "list": list_id,
            "segments": list(dict.fromkeys(segments)),
            "state": _after_clock(target, when),
            "when": when,
            "event_callback": callback,
        }
        self._check_matches(data)
        return data["id"]

    @rule(
        ident=ids,
        name=st.one_of(st.just(ABSENT), names),
        domain=st.one_of(st.just(ABSENT), domains),
        segments=st.one_of(st.just(ABSENT), segment_lists),
        state=st.one_of(st.just(ABSENT), states),
        when=st.one_of(st.just(ABSENT), whens),
        callback=st.one_of(st.just(ABSENT), callbacks),
        form=st.booleans(),
    )
    def update(self, ident: int, form: bool, **changes: Any) -> None:
        fields = {
            ("event_callback" if k == "callback" else k): v
            for k, v in changes.items()
            if v is not ABSENT
        }
        answer = self._send("PUT", f"/campaign/{ident}", fields, form)
        if ident not in self.model:
            assert answer["status"] == 404 and answer["data"]["code"] == "not_found"
            return
        current = self.model[ident]
        self._refresh_sent(ident)
        target = fields.get("state", current["state"])
        when = fields.get("when", current["when"])
        edge = (current["state"], target)
        legal = current["state"] in CLIENT and (target == current["state"] or edge in TWO_WAY)
        expected = _expected_code(
            name=fields.get("name", current["name"]),
            state_ok=legal,
            when=when,
            target=target,
            domain=fields.get("domain", 1),
            segments_ok=set(fields.get("segments", [])) <= SEGMENTS_OF_LIST[current["list"]],
        )
        if expected is not None:
            assert answer["success"] is False and answer["data"]["code"] == expected, answer
            return
        assert answer["success"] is True, answer
        current.update({k: v for k, v in fields.items() if k != "segments"})
        if "segments" in fields:
            current["segments"] = list(dict.fromkeys(fields["segments"]))
        current["state"] = _after_clock(target, when)
        self._check_matches(answer["data"])

    @rule(ident=ids)
    def get(self, ident: int) -> None:
        response = self.http.get(f"{self.base}/campaign/{ident}", timeout=10)
        if ident not in self.model:
            assert response.status_code == 404
            return
        self._refresh_sent(ident)
        self._check_matches(response.json()["data"])

    @rule(ident=consumes(ids))
    def delete(self, ident: int) -> None:
        response = self.http.delete(f"{self.base}/campaign/{ident}", timeout=10)
        body = response.json()
        if ident not in self.model:
            assert response.status_code == 404
            return
        self._refresh_sent(ident)
        if self.model[ident]["state"] == "SENDING":
            assert body["data"]["code"] == "conflict"  # M-5
            return
        assert body["success"] is True
        self._check_matches(body["data"])
        del self.model[ident]

    @invariant()
    def deleted_ids_stay_gone(self) -> None:
        for ident in range(1, self.highest_id + 1):
            if ident not in self.model:
                assert self.http.get(f"{self.base}/campaign/{ident}", timeout=10).status_code == 404

    # -- model upkeep ----------------------------------------------------------

    def _refresh_sent(self, ident: int) -> None:
        """Past SENDING the server moves on by itself (M-4); only the direction is checked."""
        current = self.model[ident]
        if current["state"] not in SENT:
            return
        state = self.http.get(f"{self.base}/campaign/{ident}", timeout=10).json()["data"]["state"]
        assert state in SENT
        assert not (current["state"] in {"DONE", "ERROR"} and state != current["state"])
        current["state"] = state

    def _check_matches(self, data: dict[str, Any]) -> None:
        expected = self.model[data["id"]]
        actual = {k: data[k] for k in expected}
        if expected["state"] in SENT:
            assert actual.pop("state") in SENT
            expected = {k: v for k, v in expected.items() if k != "state"}
        assert actual == expected


def _after_clock(state: str, when: int | None) -> str:
    """M-4: READY whose time has come is SENDING at once (the test clock stands at NOW)."""
    return "SENDING" if state == "READY" and when is not None and when <= NOW else state


def _expected_code(
    *, name: str, state_ok: bool, when: int | None, target: str, domain: int, segments_ok: bool
) -> str | None:
    """The first failure in docs/internals.md's order, or None for success."""
    if not name.strip() or len(name) > 255:
        return "invalid"
    if not state_ok:
        return "conflict"
    if target in {"SCHEDULED", "READY"} and when is None:
        return "invalid"  # M-3
    if domain != 1 or not segments_ok:
        return "reference"
    return None


TestCampaignMachine = CampaignMachine.TestCase


@pytest.fixture(scope="module", autouse=True)
def _stop_server() -> Any:
    yield
    global _server
    if _server is not None:
        _server.stop()
        _server = None
