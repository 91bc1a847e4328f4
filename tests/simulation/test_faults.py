"""Opt-in callback faults (duplicates, reordering, extra delay), over real HTTP."""

from __future__ import annotations

from collections import Counter

from .conftest import Mock, Receiver


def test_duplicate_fault_sends_acknowledged_batches_twice(mock: Mock, receiver: Receiver) -> None:
    assert mock.call("PUT", "/_mock/faults", json={"duplicate_rate": 1})["duplicate_rate"] == 1
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.run_until_quiet()
    counts = Counter(receiver.events())
    assert counts and set(counts.values()) == {2}
    kinds = Counter(e["kind"] for e in mock.deliveries(created["id"])["deliveries"])
    assert kinds["duplicate"] == kinds["first"]


def test_extra_delay_stays_within_300_seconds_unless_told_otherwise(
    mock: Mock, receiver: Receiver
) -> None:
    mock.call("PUT", "/_mock/faults", json={"extra_delay": 10_000})
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.run_until_quiet()
    journal = mock.deliveries(created["id"])["deliveries"]
    assert journal
    # C-3 still holds: each batch is due 300 s after its earliest event, not 10,000 s; it goes
    # out at the first clock step from then.
    assert all(240 <= e["due_at"] - e["when"] <= 301 and e["at"] >= e["due_at"] for e in journal)


def test_reorder_fault_still_delivers_everything_once(mock: Mock, receiver: Receiver) -> None:
    mock.call("PUT", "/_mock/faults", json={"reorder": True})
    mock.create(event_callback=receiver.url)
    mock.run_until_quiet()
    counts = Counter(receiver.events())
    assert counts and set(counts.values()) == {1}


def test_faults_and_settings_are_validated(mock: Mock) -> None:
    answer = mock.http.put(mock.server.url + "/_mock/faults", json={"duplicate_rate": 2}, timeout=5)
    assert answer.json()["data"]["code"] == "invalid"
    assert "faults.duplicate_rate" in answer.json()["data"]["errors"]
    answer = mock.http.put(mock.server.url + "/_mock/settings", json={"window": 600}, timeout=5)
    assert answer.json()["data"]["errors"] == {"window": ["must be in (0, 300] seconds (C-3)"]}
    assert mock.call("PUT", "/_mock/settings", json={"seed": 9})["seed"] == 9
    assert mock.call("GET", "/_mock/settings")["faults"]["reorder"] is False
