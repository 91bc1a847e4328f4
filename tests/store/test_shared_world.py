"""`StoredWorld`'s tables: each operation of a world in one, doing what its table says."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.errors import ConflictError, NotFoundError
from campaign_mock.domain.models import Channel, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.world import World
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.store import open_store
from campaign_mock.store.shared import (
    COMMITS,
    COUNTER,
    LOCAL,
    ON_HOLDER,
    READS,
    SESSIONS,
    TICKER,
    WRITES,
    StoredWorld,
)

START = 1_900_000_000.0
TABLES = {
    "COMMITS": COMMITS,
    "COUNTER": COUNTER,
    "WRITES": WRITES,
    "READS": READS,
    "ON_HOLDER": tuple(ON_HOLDER),
    "SESSIONS": SESSIONS,
    "LOCAL": LOCAL,
    "TICKER": TICKER,
}


class CountingStore:
    """A store that counts its exclusive lock's holders and its commits; everything else is
    the store's."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.locks = 0
        self.commits = 0

    def commit(self, *args: Any) -> Any:
        self.commits += 1
        return self._store.commit(*args)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.locks += 1
        with self._store.locked():
            yield

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _world(path: Path) -> tuple[StoredWorld, CountingStore]:
    store = CountingStore(open_store(f"sqlite:///{path / 'mock.db'}"))
    clock = MockClock(start=START, frozen=True)
    return StoredWorld(store, default_fixtures(), clock), store  # type: ignore[arg-type]


def _draft(world: StoredWorld) -> int:
    fields = CampaignFields(frozenset({"name", "domain", "list"}), name="a", domain=1, list_id=1)
    return world.create_campaign(fields).id


def test_the_tables_name_every_operation_of_a_world_once() -> None:
    members = {name for name in vars(World) if not name.startswith("_")}
    listed = [name for table in TABLES.values() for name in table]
    assert sorted(listed) == sorted(set(listed)), "an operation is in two tables"
    assert set(listed) == members


def test_a_campaigns_operations_commit_once_writes_take_the_lock_and_reads_do_neither(
    tmp_path: Path,
) -> None:
    world, store = _world(tmp_path)
    ident = _draft(world)
    name = CampaignFields(frozenset({"name"}), name="b")
    commits = {
        "create_campaign": lambda: _draft(world),
        "update_campaign": lambda: world.update_campaign(ident, name),
        "set_payloads": lambda: world.set_payloads(ident, (Channel.EMAIL,)),
        "force_state": lambda: world.force_state(ident, State.DRAFT),
        "delete_campaign": lambda: world.delete_campaign(ident),
    }
    assert set(commits) == set(COMMITS)
    for operation, run in commits.items():
        locks, done, version = store.locks, store.commits, store.version()
        run()
        assert (store.locks, store.commits) == (locks, done + 1), operation
        assert store.version() == version + 1, f"{operation} wrote no one version"
    writes = {
        "configure_simulation": lambda: world.configure_simulation(
            world.simulation.settings.updated({"seed": 9})
        ),
        "load_fixtures": lambda: world.load_fixtures(default_fixtures()),
        "reset": world.reset,
    }
    assert set(writes) == set(WRITES)
    for operation, run in writes.items():
        locks, version = store.locks, store.version()
        run()
        assert store.locks > locks, operation
        assert store.version() > version, f"{operation} wrote nothing"
    ident = _draft(world)
    reads = {
        "get_campaign": lambda: world.get_campaign(ident),
        "campaigns": world.campaigns,
        "fixtures": lambda: world.fixtures,
    }
    assert set(reads) == set(READS)
    for operation, run in reads.items():
        locks, done = store.locks, store.commits
        run()
        assert (store.locks, store.commits) == (locks, done), operation


def test_a_refused_operation_commits_nothing_but_is_checked(tmp_path: Path) -> None:
    """A 404 or 409 is decided on this copy: it stands only if the copy was current."""
    world, store = _world(tmp_path)
    other, _ = _world(tmp_path)
    ident = _draft(other)  # this copy has not seen it yet
    version = store.version()
    assert world.update_campaign(ident, CampaignFields(frozenset({"name"}), name="b")).name == "b"
    assert store.version() == version + 1
    gone = _draft(world)
    other.delete_campaign(gone)
    with pytest.raises(NotFoundError):
        world.delete_campaign(gone)  # this copy still holds it: the check finds it gone


def test_a_clock_move_is_a_write_every_instance_reads(tmp_path: Path) -> None:
    world, store = _world(tmp_path)
    other, _ = _world(tmp_path)
    locks = store.locks
    world.clock.advance(60)  # type: ignore[attr-defined]
    assert store.locks == locks + 1
    other.campaigns()  # a read brings the clock in
    assert other.clock.now() == START + 60


def test_what_only_the_holder_may_do_is_sent_to_it(tmp_path: Path) -> None:
    holder, _ = _world(tmp_path)
    follower, _ = _world(tmp_path)
    holder.tick()
    follower.tick()
    assert holder.leading and not follower.leading
    stop = threading.Event()

    def serve() -> None:
        while not stop.wait(0.01):
            holder.tick()

    ticker = threading.Thread(target=serve)
    ticker.start()
    try:
        ident = _draft(follower)
        assert follower.redeliver(12345) is None
        follower.flush_callbacks()
        with pytest.raises(ConflictError, match="not SENDING"):
            follower.abort_campaign(ident, "a fault")
    finally:
        stop.set()
        ticker.join()
