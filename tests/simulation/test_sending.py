"""A whole send over real HTTP on a frozen clock: M-4, A-1, A-2, E-1, E-2, C-1, C-2, C-3."""

from __future__ import annotations

import re
from collections import defaultdict

from .conftest import QUERY, START, Mock, Receiver

EMAILS = {"ana@example.com", "bruno@example.com", "carla@example.com", "duarte@example.com",
          "eva@example.com"}  # fmt: skip
TELEPHONES = {"+351910000001", "+351910000002", "+351910000004", "+351910000005"}
_KEY = re.compile(r"(email|telephone)(?:\[|%5B)([0-9]+)(?:\]|%5D)")


def _check_email_events(events: list[str]) -> None:
    """E-1 and E-2 for one Email message, in the order its callbacks arrived."""
    assert events[0] == "submitted"
    finals = [e for e in events if e in {"delivered", "bounced"}]
    assert len(finals) == 1
    assert events[1] == finals[0]
    rest = events[2:]
    if finals[0] == "bounced":
        assert rest == []
    else:
        assert rest in ([], ["opened"], ["opened", "clicked"])


def test_M4_E1_E2_C1_C2_C3_campaign_over_default_fixtures(mock: Mock, receiver: Receiver) -> None:
    """READY → SENDING when `when` comes → DONE; the receiver gets exactly every event once."""
    callback = receiver.url + QUERY
    created = mock.create(when=int(START) + 45, event_callback=callback)
    assert created["state"] == "READY"
    mock.advance(30)
    assert mock.campaign(created["id"])["state"] == "READY"
    mock.advance(30)
    assert mock.campaign(created["id"])["state"] == "SENDING"  # M-4
    mock.run_until_quiet()
    assert mock.campaign(created["id"])["state"] == "DONE"

    per_address: dict[tuple[str, str], list[str]] = defaultdict(list)
    for channel, address, event in receiver.events():
        per_address[channel, address].append(event)
    # every contact of list 1 with an address, one message per channel.
    assert {a for c, a in per_address if c == "email"} == EMAILS
    assert {a for c, a in per_address if c == "telephone"} == TELEPHONES
    for (channel, _), events in per_address.items():
        if channel == "email":
            _check_email_events(events)
        else:  # E-1: SMS only delivered or bounced, exactly one
            assert events in (["delivered"], ["bounced"])

    journal = mock.deliveries(created["id"])["deliveries"]
    assert len(journal) == len(receiver.received)
    for seen in receiver.received:
        assert seen.target == "/hook" + QUERY  # C-1: byte for byte
        keys = [k for k, _ in _raw_pairs(seen.body)]
        assert keys[:2] == ["event", "when"]  # C-2
        indexes = [_KEY.fullmatch(k) for k in keys[2:]]
        assert all(indexes)
        assert {m.group(1) for m in indexes if m} == {seen.channel}  # one channel per request
        assert [int(m.group(2)) for m in indexes if m] == list(range(len(indexes)))
        assert 1 <= len(indexes) <= 1000
    for entry in journal:
        assert entry["when"] <= entry["at"]  # C-3: `when` is an event's time, never later
        assert entry["at"] - entry["when"] <= 300  # C-3: reported within 300 s
        assert entry["outcome"] == "acknowledged"
        assert entry["attempt"] == 1


def _raw_pairs(body: bytes) -> list[tuple[str, str]]:
    return [tuple(p.split("=", 1)) for p in body.decode("ascii").split("&")]  # type: ignore[misc]


def test_A1_segments_audience_is_exactly_the_union(mock: Mock, receiver: Receiver) -> None:
    """Segments 1 (ana, bruno) and 2 (bruno, carla, +...04): the union, bruno once."""
    created = mock.create(segments=[1, 2], event_callback=receiver.url)
    mock.run_until_quiet()
    assert mock.campaign(created["id"])["state"] == "DONE"
    submitted = [a for c, a, e in receiver.events() if e == "submitted"]
    assert sorted(submitted) == ["ana@example.com", "bruno@example.com", "carla@example.com"]
    finals = {(c, a) for c, a, e in receiver.events() if e in {"delivered", "bounced"}}
    assert {a for c, a in finals if c == "telephone"} == {
        "+351910000001",
        "+351910000002",
        "+351910000004",
    }


def test_M4_empty_audience_goes_straight_to_done_without_callbacks(
    mock: Mock, receiver: Receiver
) -> None:
    created = mock.create(list=3, event_callback=receiver.url)
    assert created["state"] == "DONE"
    mock.run_until_quiet()
    assert receiver.received == []
    assert mock.deliveries(created["id"])["deliveries"] == []


def test_A2_payloads_limit_the_channels(mock: Mock, receiver: Receiver) -> None:
    created = mock.create(state="DRAFT", event_callback=receiver.url)
    mock.call("PUT", f"/_mock/campaigns/{created['id']}/payloads", json={"payloads": ["sms"]})
    mock.call("PUT", f"/campaign/{created['id']}", auth=("demo", "demo-password"),
              json={"state": "SCHEDULED", "when": int(START)})  # fmt: skip
    mock.call("PUT", f"/campaign/{created['id']}", auth=("demo", "demo-password"),
              json={"state": "READY"})  # fmt: skip
    mock.run_until_quiet()
    assert {c for c, _, _ in receiver.events()} == {"telephone"}
    assert {a for _, a, _ in receiver.events()} == TELEPHONES


def test_M4_abort_fault_ends_the_send_in_error(mock: Mock, receiver: Receiver) -> None:
    """A fault injected through the control API: the send cannot go on (M-4: ERROR)."""
    created = mock.create(event_callback=receiver.url)
    answer = mock.call("POST", f"/_mock/campaigns/{created['id']}/abort", json={"error": "boom"})
    assert answer["state"] == "ERROR"
    assert answer["error"] == "boom"
    mock.run_until_quiet()
    assert mock.campaign(created["id"])["state"] == "ERROR"
    assert receiver.events() == []  # no event had happened yet at the abort


def test_M4_magic_fail_address_ends_the_send_in_error(mock: Mock, receiver: Receiver) -> None:
    """M-4: a send that cannot go on ends in ERROR; here a magic `fail` address stops it."""
    fixtures = mock.call("GET", "/_mock/fixtures")
    fixtures["lists"].append(
        {
            "id": 20,
            "name": "Outage",
            "contacts": [
                {"id": 200, "email": "ana@example.com", "telephone": "+351910000200"},
                {"id": 201, "email": "fail+case-1@simulator.campaign-mock.dev"},
                {"id": 202, "email": "never@example.com", "telephone": "+351910000202"},
            ],
            "segments": [],
        }
    )
    mock.call("PUT", "/_mock/fixtures", json=fixtures)
    created = mock.create(list=20, event_callback=receiver.url)
    mock.run_until_quiet()
    ended = mock.campaign(created["id"])
    assert ended["state"] == "ERROR"
    assert "refused" in ended["error"]
    reported = {address for _channel, address, _event in receiver.events()}
    assert "never@example.com" not in reported and "+351910000202" not in reported
    assert not any("simulator" in address for address in reported)
