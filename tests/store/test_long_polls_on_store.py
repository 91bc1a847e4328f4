"""`/_mock/deliveries/wait` on a store, asked of the instance that sends and of one that only
shows the sends (their checkpoint): each returns `reached` once every attempt due at the
mock's time is made, never before. The wait brings its world to the mock's time when that
moves and at least every IDLE_WAIT, not at each attempt's end (on a store a tick is a dozen
round trips: one per attempt made a million-contact send's waits twice memory's); a follower
sees the holder's progress only by ticking, so it must go on ticking while it waits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campaign_mock.testing.sink import SinkServer

from .instances import big_fixtures, instances, settled, wait_until
from .sends import start_send
from .test_sibling_callbacks import state  # noqa: F401  (the sqlite/redis parameter)


@pytest.mark.parametrize("waiter", ["holder", "follower"])
def test_a_wait_for_idle_returns_on_either_instance_once_every_attempt_is_made(
    state: str,  # noqa: F811
    tmp_path: Path,
    sink_server: SinkServer,
    waiter: str,
) -> None:
    fixtures = big_fixtures(tmp_path, contacts=300)
    with instances(state, tmp_path, 2, "--frozen", "--fixtures", str(fixtures)) as (a, b):
        sink = sink_server.open()
        ident = start_send(a, sink)
        wait_until(lambda: a.store()["sending"] or b.store()["sending"], 30, "a lease holder")
        holder, follower = (a, b) if a.store()["sending"] else (b, a)
        asked = holder if waiter == "holder" else follower
        for seconds in (120, 600, 3600):
            follower.data(follower.post("/_mock/clock/advance", json={"seconds": seconds}))
            waited: Any = asked.data(
                asked.post("/_mock/deliveries/wait", json={"idle": True, "timeout": 30})
            )
            assert waited["reached"] is True, (seconds, waited)
            # Not before: the sender itself has nothing due at the mock's time either.
            summary: Any = holder.data(holder.get("/_mock/deliveries", params={"summary": 1}))
            now = float(str(holder.data(holder.get("/_mock/clock"))["now"]))
            assert summary["next_due"] is None or summary["next_due"] > now, (seconds, summary)
        assert sink.events(), "no callback reached the receiver"
        wait_until(lambda: settled(a, ident) and settled(b, ident), 30, "both to show DONE")


@pytest.mark.parametrize("waiter", ["holder", "follower"])
def test_a_wait_for_idle_on_a_running_clock_returns_once_nothing_is_due(
    state: str,  # noqa: F811
    tmp_path: Path,
    sink_server: SinkServer,
    waiter: str,
) -> None:
    """On a clock that runs, the mock's time moves on between the wait's tick and its count:
    the count is of the time the tick brought the world to, or the holder (whose sends
    have reached only that) could never say how many are left."""
    fixtures = big_fixtures(tmp_path, contacts=300)
    with instances(state, tmp_path, 2, "--fixtures", str(fixtures)) as (a, b):
        sink = sink_server.open()
        start_send(a, sink)
        wait_until(lambda: a.store()["sending"] or b.store()["sending"], 30, "a lease holder")
        holder, follower = (a, b) if a.store()["sending"] else (b, a)
        asked = holder if waiter == "holder" else follower
        for _ in range(3):
            waited: Any = asked.data(
                asked.post("/_mock/deliveries/wait", json={"idle": True, "timeout": 20})
            )
            assert waited["reached"] is True, waited
