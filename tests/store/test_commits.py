"""One campaign's writes on a store commit on their own (store/shared.py `COMMITS`): racing
instances lose no write and hand out no id twice, on SQLite and on Redis."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.errors import NotFoundError
from campaign_mock.domain.models import Channel, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.store import open_store
from campaign_mock.store.shared import StoredWorld

from .instances import AUTH, Instance, instances

#: Threads per instance, and requests each: enough that commits overlap.
THREADS, EACH = 6, 5
NEW = {"name": "c", "domain": 1, "list": 1}


def _race(
    pair: list[Instance], request: Callable[[Instance, int], requests.Response]
) -> list[requests.Response]:
    """`request(instance, n)` for every n below THREADS * EACH on each instance, from
    THREADS threads per instance started together."""
    answers: list[requests.Response] = []
    gate = threading.Barrier(THREADS * len(pair))

    def run(instance: Instance, first: int) -> None:
        gate.wait()
        answers.extend(request(instance, n) for n in range(first, first + EACH))

    threads = [
        threading.Thread(target=run, args=(instance, t * EACH))
        for instance in pair
        for t in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store for this test: a new SQLite file, or the session's redis-server emptied."""
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return f"sqlite:///{tmp_path / 'mock.db'}"


def test_racing_creates_and_edits_over_two_instances_lose_nothing(
    state: str, tmp_path: Path
) -> None:
    with instances(state, tmp_path, 2) as pair:
        total = THREADS * EACH * len(pair)
        made = _race(pair, lambda at, n: at.post("/campaign", data=NEW))
        ids = sorted(int(str(pair[0].data(answer)["id"])) for answer in made)
        assert ids == list(range(1, total + 1)), "every id once, none skipped (M-5)"
        # Campaigns edited at once from both instances, a different field from each: a write
        # that overwrote the other's (a lost update) leaves one field as it was.
        a, edited = pair[0], THREADS * EACH

        def edit(at: Instance, n: int) -> requests.Response:
            ident = n + 1
            return at.put(
                f"/campaign/{ident}",
                data={"name": f"renamed{ident}"} if at is a else {"segments[]": "2"},
            )

        edits = _race(pair, edit)
        assert [e.status_code for e in edits] == [200] * len(edits)
        assert all(e.json()["success"] for e in edits), [e.json() for e in edits][:3]
        for ident in range(1, edited + 1):
            for each in pair:
                shown = each.data(each.get(f"/campaign/{ident}"))
                assert (shown["name"], shown["segments"]) == (f"renamed{ident}", [2]), (ident, each)
        assert a.data(a.post("/campaign", data=NEW))["id"] == total + 1


def test_a_write_to_one_campaign_waits_for_a_write_to_the_whole_world(
    redis_url: str, tmp_path: Path
) -> None:
    """On Redis, a commit does not land while an instance holds the store's lock (a reset,
    a move of the clock): it waits, then lands on what that write left."""
    with instances(redis_url, tmp_path, 1) as (mock,):
        first = mock.data(mock.post("/campaign", data=NEW))["id"]
        client = redis.Redis.from_url(redis_url)
        began = time.monotonic()  # the lock lapses 1.5 s after this, at the earliest
        client.set("campaign-mock:lock", "another instance", px=1500)
        renamed = mock.put(f"/campaign/{first}", data={"name": "after"})
        waited = time.monotonic() - began
        assert (
            renamed.json()["success"]
            and mock.data(mock.get(f"/campaign/{first}"))["name"] == "after"
        )
        assert waited >= 1.5, f"the commit landed after {waited:.2f} s, under another's lock"


def test_a_store_written_before_the_id_counter_never_hands_out_an_id_again(
    state: str, tmp_path: Path
) -> None:
    """A store with no id counter (written by an older campaign-mock) goes on after every
    id it holds or deleted."""
    with instances(state, tmp_path, 1) as (mock,):
        for _ in range(4):
            mock.data(mock.post("/campaign", data=NEW))
        mock.data(requests.delete(f"{mock.url}/campaign/4", auth=AUTH, timeout=30))
    if state.startswith("redis"):
        assert redis.Redis.from_url(state).delete("campaign-mock:ids") == 1
    else:
        with sqlite3.connect(tmp_path / "mock.db") as db:
            assert db.execute("DELETE FROM meta WHERE key = 'ids'").rowcount == 1
    with instances(state, tmp_path, 1) as (mock,):
        assert mock.data(mock.post("/campaign", data=NEW))["id"] == 5


def test_racing_copies_of_one_world_decide_on_what_the_store_holds(state: str) -> None:
    """Two `StoredWorld`s on one store, edits to the same campaigns from threads of each,
    straight on the world (no GET before, as the HTTP view makes): a lost update, or a 404
    for a campaign the other copy made, shows here."""
    fresh = CampaignFields(frozenset({"name", "domain", "list"}), name="c", domain=1, list_id=1)
    a, b = (StoredWorld(open_store(state), default_fixtures(), MockClock()) for _ in range(2))
    total = THREADS * EACH
    for _ in range(total):
        a.create_campaign(fresh)
    failures: list[BaseException] = []
    gate = threading.Barrier(2 * THREADS)

    def edit(world: StoredWorld, first: int) -> None:
        gate.wait()
        for ident in range(first + 1, first + EACH + 1):
            try:
                if world is a:
                    world.update_campaign(ident, CampaignFields(frozenset({"name"}), name="r"))
                else:
                    world.update_campaign(
                        ident, CampaignFields(frozenset({"segments"}), segments=[2])
                    )
            except BaseException as error:
                failures.append(error)

    threads = [
        threading.Thread(target=edit, args=(world, t * EACH))
        for world in (a, b)
        for t in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures[:3]
    third = StoredWorld(open_store(state), default_fixtures(), MockClock())
    shown = [(c.name, c.segments) for c in third.campaigns()]
    assert shown == [("r", [2])] * total


def test_a_refusal_checked_against_the_store_does_not_skip_what_another_copy_wrote(
    state: str,
) -> None:
    """A 404 commits nothing, so the version its check answers may include another copy's
    write: this copy must still read that write."""
    fresh = CampaignFields(frozenset({"name", "domain", "list"}), name="c", domain=1, list_id=1)
    a, b = (StoredWorld(open_store(state), default_fixtures(), MockClock()) for _ in range(2))
    made = a.create_campaign(fresh).id
    with pytest.raises(NotFoundError):
        b.delete_campaign(made + 1000)
    assert b.get_campaign(made).id == made


class Failing:
    """A store whose method `name` raises once, on the call `when(*args)` picks; the rest is
    the store's."""

    def __init__(self, store: Any, name: str, when: Callable[..., bool] = lambda *a: True):
        self._store, self._name, self._when = store, name, when
        self.failed = False
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name != self._name:
            return found

        def failing(*args: Any) -> Any:
            if self.armed and not self.failed and self._when(*args):
                self.failed = True
                raise TimeoutError(f"{name}: the store stalled")
            return found(*args)

        return failing


def _stored(store: Any) -> StoredWorld:
    return StoredWorld(store, default_fixtures(), MockClock(frozen=True))


def _rename(world: StoredWorld, ident: int, name: str) -> str:
    return world.update_campaign(ident, CampaignFields(frozenset({"name"}), name=name)).name


FRESH = CampaignFields(frozenset({"name", "domain", "list"}), name="c", domain=1, list_id=1)


def test_a_refused_commit_whose_reread_fails_leaves_nothing_it_changed(state: str) -> None:
    """A PUT refused (the clock moved), then the store stalls as the copy reads back: a 503;
    the copy must not keep the name it never stored."""
    failing = Failing(open_store(state), "changes", lambda since, also=(): bool(also))
    a, b = _stored(failing), _stored(open_store(state))
    ident = a.create_campaign(FRESH).id
    b.clock.advance(60)  # type: ignore[attr-defined]
    with pytest.raises(TimeoutError):
        _rename(a, ident, "never stored")
    assert failing.failed
    assert a.get_campaign(ident).name == "c"
    assert _rename(a, ident, "stored") == "stored"
    assert b.get_campaign(ident).name == "stored"


def test_a_reset_that_fails_midway_leaves_no_half_reset_for_the_next_write(state: str) -> None:
    failing = Failing(open_store(state), "clear_sessions")
    a, b = _stored(failing), _stored(open_store(state))
    kept = [a.create_campaign(FRESH).id for _ in range(3)]
    with pytest.raises(TimeoutError):
        a.reset()
    assert _rename(a, kept[0], "after") == "after"  # a write after the failed reset
    assert [c.id for c in b.campaigns()] == kept, "the failed reset's deletions were written"
    assert a.create_campaign(FRESH).id == 4


def test_a_create_tried_again_keeps_its_id(state: str) -> None:
    """A create refused because the clock moved meanwhile runs again with the id it took."""
    a, b = _stored(open_store(state)), _stored(open_store(state))
    assert a.create_campaign(FRESH).id == 1
    b.clock.advance(60)  # type: ignore[attr-defined]
    assert a.create_campaign(FRESH).id == 2
    assert a.next_id == 3 and b.create_campaign(FRESH).id == 3


def test_a_reset_elsewhere_ends_the_sends_of_a_copy_that_lost_track(state: str) -> None:
    """The holder's sends go at another instance's reset even when the holder's last write
    failed (its next look reads the store whole, and a whole read is no reset by itself)."""
    failing = Failing(open_store(state), "commit")
    failing.armed = False
    a, b = _stored(failing), _stored(open_store(state))
    now = int(a.clock.now())
    ready = CampaignFields(
        frozenset({"name", "domain", "list", "state", "when"}),
        name="c", domain=1, list_id=1, state=State.READY, when=now,
    )  # fmt: skip
    ident = a.create_campaign(ready).id
    a.tick()
    assert a.leading and a.simulation.sending(), "a holds the send"
    draft = a.create_campaign(FRESH).id
    failing.armed = True
    with pytest.raises(TimeoutError):
        a.set_payloads(draft, (Channel.EMAIL,))
    b.reset()
    a.campaigns()  # a look: it reads the store whole
    assert not a.simulation.sending(), f"campaign {ident}'s send goes on after the reset"
