"""`/_mock/deliveries/wait` on a store, asked of the instance that sends and of one that only
shows the sends (their checkpoint): each returns `reached` once every attempt due at the
mock's time is made, never before, on a frozen clock moved in steps and on a running one.

The wait brings its world to the mock's time when that moves and at least every IDLE_WAIT,
not at each attempt's end (on a store a tick is a dozen round trips: one per attempt made a
million-contact send's waits twice memory's). It counts where the sends run (a follower asks
the holder), at the time its tick brought the world to: on a running clock a time read
afresh is always past what the holder's sends have reached, and the holder could never say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campaign_mock.testing.sink import SinkServer

from .instances import Instance, big_fixtures, instances, settled, wait_until
from .sends import start_send
from .test_sibling_callbacks import state  # noqa: F401  (the sqlite/redis parameter)


@pytest.mark.parametrize("waiter", ["holder", "follower"])
@pytest.mark.parametrize("clock", ["frozen", "running"])
def test_a_wait_for_idle_returns_on_either_instance_once_every_attempt_is_made(
    state: str,  # noqa: F811
    tmp_path: Path,
    sink_server: SinkServer,
    waiter: str,
    clock: str,
) -> None:
    fixtures = big_fixtures(tmp_path, contacts=300)
    options = ("--frozen",) if clock == "frozen" else ()
    with instances(state, tmp_path, 2, "--fixtures", str(fixtures), *options) as (a, b):
        sink = sink_server.open()
        ident = start_send(a, sink)
        wait_until(lambda: a.store()["sending"] or b.store()["sending"], 30, "a lease holder")
        holder, follower = (a, b) if a.store()["sending"] else (b, a)
        asked = holder if waiter == "holder" else follower
        for seconds in (120, 600, 3600):
            if clock == "frozen":
                follower.data(follower.post("/_mock/clock/advance", json={"seconds": seconds}))
            waited: Any = asked.data(
                asked.post("/_mock/deliveries/wait", json={"idle": True, "timeout": 20})
            )
            assert waited["reached"] is True, (seconds, waited)
            if clock == "frozen":
                _nothing_due(holder, seconds)
        if clock == "frozen":
            assert sink.events(), "no callback reached the receiver"
            wait_until(lambda: settled(a, ident) and settled(b, ident), 30, "both to show DONE")


def _nothing_due(holder: Instance, seconds: int) -> None:
    """Not before: the sender itself has nothing due at the mock's time either."""
    summary: Any = holder.data(holder.get("/_mock/deliveries", params={"summary": 1}))
    now = float(str(holder.data(holder.get("/_mock/clock"))["now"]))
    assert summary["next_due"] is None or summary["next_due"] > now, (seconds, summary)
