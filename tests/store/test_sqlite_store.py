"""`--state sqlite:///...`: the mock's state survives a restart, a send included."""

from __future__ import annotations

from pathlib import Path

from campaign_mock.testing.sink import SinkServer

from .instances import (
    IN_FLIGHT,
    SEND_OPTIONS,
    big_fixtures,
    campaign_state,
    events_of,
    lost_and_repeated,
    repeated_callbacks,
    settled,
    start,
    wait_until,
)
from .sends import SEND_TIMEOUT, reference_events, start_send


def test_campaigns_ids_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'mock.db'}"
    first = start(state, tmp_path)
    try:
        made = first.data(first.post("/campaign", data={"name": "a", "domain": 1, "list": 1}))
        scheduled = {"state": "SCHEDULED", "when": 4_000_000_000}
        first.data(first.put(f"/campaign/{made['id']}", data=scheduled))
        first.data(first.post("/campaign", data={"name": "b", "domain": 1, "list": 1}))
        login = first.post("/login/", data={"username": "demo", "password": "demo-password"})
        token = first.data(login)["token"]
    finally:
        first.stop()
    again = start(state, tmp_path)
    try:
        kept = again.data(again.get("/campaign/1"))
        assert (kept["state"], kept["when"], kept["name"]) == ("SCHEDULED", 4_000_000_000, "a")
        third = again.data(again.post("/campaign", data={"name": "c", "domain": 1, "list": 1}))
        assert third["id"] == 3, "ids are never reused (M-5), not even after a restart"
        cookie = {"sergiosgc_auth": str(token)}
        import requests

        by_session = requests.get(f"{again.url}/campaign/1", cookies=cookie, timeout=10)
        assert by_session.json()["success"], "a session opened before the restart still works"
        assert "sqlite:///" in again.log.read_text(), "the banner names the store"
    finally:
        again.stop()


def test_a_send_interrupted_by_a_restart_resumes_and_loses_no_event(
    tmp_path: Path, sink_server: SinkServer
) -> None:
    expected = reference_events(tmp_path, sink_server)
    state = f"sqlite:///{tmp_path / 'mock.db'}"
    options = ("--fixtures", str(big_fixtures(tmp_path)), *SEND_OPTIONS)
    sink = sink_server.open()
    first = start(state, tmp_path, *options, name="first")
    try:
        ident = start_send(first, sink)
        wait_until(lambda: len(sink.events()) >= len(expected) // 4, 60, "a quarter of the send")
        assert campaign_state(first, ident) == "SENDING"
    finally:
        first.kill()
    received_before = sum(events_of(sink).values())
    again = start(state, tmp_path, *options, name="again")
    try:
        wait_until(lambda: settled(again, ident), SEND_TIMEOUT, "the resumed send to end")
    finally:
        again.stop()
    got = events_of(sink)
    lost, repeated = lost_and_repeated(got, expected)
    assert not lost, f"{len(lost)} events lost across the restart, e.g. {sorted(lost)[:3]}"
    assert set(got) == set(expected), "events nobody would have sent"
    twice = repeated_callbacks(sink)
    print(
        f"\nsqlite restart: {len(expected)} events, {received_before} before the kill, "
        f"{repeated} delivered twice in {twice} callbacks"
    )
    assert twice <= IN_FLIGHT, "only attempts in flight at the kill may come again (C-4)"
