"""One campaign's writes on a store commit on their own (store/shared.py `COMMITS`): racing
instances lose no write and hand out no id twice, on SQLite and on Redis."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests

from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.errors import NotFoundError
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
