"""A send long enough to interrupt, and the events a run with nothing interrupted reports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from campaign_mock.testing.sink import CallbackSink, SinkServer

from .instances import (
    QUICK_DELAYS,
    SEND_OPTIONS,
    Instance,
    big_fixtures,
    events_of,
    settled,
    start,
    wait_until,
)

#: Real seconds a whole send may take on a loaded machine.
SEND_TIMEOUT = 120.0


def start_send(instance: Instance, sink: CallbackSink) -> int:
    """A READY campaign due now, to list 10, reporting to `sink`; its id."""
    instance.data(instance.put("/_mock/settings", json=QUICK_DELAYS))
    now = int(float(str(instance.data(instance.get("/_mock/clock"))["now"])))
    created = instance.data(
        instance.post(
            "/campaign",
            data={"name": "big", "domain": 1, "list": 10, "state": "SCHEDULED", "when": now},
        )
    )
    ident = int(str(created["id"]))
    callback = {"event_callback": sink.url_for(ident), "state": "READY"}
    instance.data(instance.put(f"/campaign/{ident}", data=callback))
    return ident


def reference_events(tmp_path: Path, sinks: SinkServer) -> Counter[tuple[str, str, str]]:
    """The same send on an in-memory mock, uninterrupted: every event exactly once."""
    fixtures = big_fixtures(tmp_path)
    mock = start("memory", tmp_path, "--fixtures", str(fixtures), *SEND_OPTIONS, name="ref")
    try:
        sink = sinks.open()
        ident = start_send(mock, sink)
        wait_until(lambda: settled(mock, ident), SEND_TIMEOUT, "the reference send")
        found = events_of(sink)
        assert found and max(found.values()) == 1, "the reference run repeated events"
        return found
    finally:
        mock.stop()
