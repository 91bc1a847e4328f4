"""Abort on a store's lease holder answers as it does in memory, whatever its ticker has done.

The holder's world is a replica: requests leave its sends to the ticker, so between two ticks
it may show a campaign SENDING that its simulation has no live send for. An abort judged
there once answered `campaign 1 is SENDING, not SENDING`, or aborted a send already over.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.errors import ConflictError
from campaign_mock.domain.models import State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.store import lease, open_store
from campaign_mock.store.shared import StoredWorld

START = 1_900_000_000.0
#: List 1's send at the default rate is over (every final outcome in) well within this.
LATER = 3600


def _stored(path: Path, store: Any = None) -> StoredWorld:
    store = store or open_store(f"sqlite:///{path / 'mock.db'}")
    return StoredWorld(store, default_fixtures(), MockClock(start=START, frozen=True))


def _in_memory() -> CampaignBackend:
    return CampaignBackend(default_fixtures(), MockClock(start=START, frozen=True))


def _due(world: StoredWorld | CampaignBackend, state: State = State.READY) -> int:
    present = frozenset({"name", "domain", "list", "state", "when"})
    fields = CampaignFields(present, name="a", domain=1, list_id=1, state=state, when=int(START))
    return world.create_campaign(fields).id


def _refusal(world: StoredWorld | CampaignBackend, ident: int) -> str:
    with pytest.raises(ConflictError) as refused:
        world.abort_campaign(ident, "a fault")
    return refused.value.message


def test_a_send_over_before_the_holder_ticked_is_done_not_aborted(tmp_path: Path) -> None:
    """Every outcome is in but no tick has moved the campaign: abort reads DONE, as in memory
    (where a request ends the sends first), instead of aborting a finished send."""
    memory = _in_memory()
    ident = _due(memory)
    assert memory.get_campaign(ident).state is State.SENDING
    memory.clock.advance(LATER)  # type: ignore[attr-defined]
    assert _refusal(memory, ident) == f"campaign {ident} is DONE, not SENDING"

    holder = _stored(tmp_path)
    holder.tick()
    assert holder.leading
    ident = _due(holder)
    holder.tick()
    assert holder.get_campaign(ident).state is State.SENDING
    holder.clock.advance(LATER)  # type: ignore[attr-defined]  # no tick after it
    assert holder.get_campaign(ident).state is State.SENDING
    assert _refusal(holder, ident) == f"campaign {ident} is DONE, not SENDING"
    assert holder.get_campaign(ident).state is State.DONE


@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_a_sending_campaign_without_a_send_here_is_aborted(tmp_path: Path, where: str) -> None:
    """Forced SENDING (or started by an instance that had just lost the lease), it has no
    send on the holder: abort takes its send up and ends it in ERROR, never a conflict that
    says SENDING, not SENDING."""
    world: StoredWorld | CampaignBackend = _in_memory() if where == "memory" else _stored(tmp_path)
    world.tick()
    present = frozenset({"name", "domain", "list"})
    ident = world.create_campaign(CampaignFields(present, name="a", domain=1, list_id=1)).id
    world.force_state(ident, State.SENDING)
    aborted = world.abort_campaign(ident, "a fault")
    assert (aborted.state, aborted.error) == (State.ERROR, "a fault")
    assert world.get_campaign(ident).state is State.ERROR


class _Interleaving:
    """A store on which one thread's tick (the follower's) finds the lease held elsewhere,
    then reads the store's stamp to follow only after the other thread has taken the lease
    over and started the send: the order two ticks of one instance (the ticker's and a clock
    move's) took on a loaded machine, as the lease came free."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.follower: int | None = None
        self.refused = False
        self.following = threading.Event()
        self.sent = threading.Event()

    def hold_lease(self, holder: str, seconds: float = 3.0) -> bool:
        if threading.get_ident() == self.follower:
            self.refused = True  # as when another instance still held it
            return False
        return bool(self._store.hold_lease(holder, seconds))

    def stamp(self) -> Any:
        if threading.get_ident() == self.follower and self.refused and not self.sent.is_set():
            self.following.set()
            assert self.sent.wait(10), "the holder never sent"
        return self._store.stamp()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_tick_that_follows_never_undoes_the_holders_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads of one instance tick at once: one saw the lease held elsewhere and
    follows the store's checkpoint, the other takes the lease over and starts the send. That
    checkpoint must not replace the holder's sends (the send was lost: the campaign stayed
    SENDING for ever, and no callback came)."""
    monkeypatch.setattr(lease, "RENEW_EVERY", 0.0)  # each tick looks at the lease
    store = _Interleaving(open_store(f"sqlite:///{tmp_path / 'mock.db'}"))
    world = _stored(tmp_path, store)
    ident = _due(world)

    def follow() -> None:
        store.follower = threading.get_ident()
        world.tick()

    follower = threading.Thread(target=follow)
    follower.start()
    assert store.following.wait(10), "the other tick never followed"
    world.tick()  # takes the lease over and starts the send
    assert world.leading and world.get_campaign(ident).state is State.SENDING
    store.sent.set()
    follower.join(10)
    assert not follower.is_alive()
    world.clock.advance(LATER)  # type: ignore[attr-defined]
    world.tick()
    assert world.get_campaign(ident).state is State.DONE


class _Overlapping:
    """A store that counts the calls holding the lease at once; the first waits (a second
    at most) for another to come in beside it."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.inside = 0
        self.most = 0
        self.calls = 0
        self.second = threading.Event()
        self._count = threading.Lock()

    def hold_lease(self, holder: str, seconds: float = 3.0) -> bool:
        with self._count:
            self.inside += 1
            self.most = max(self.most, self.inside)
            first, self.calls = not self.calls, self.calls + 1
            if self.inside > 1:
                self.second.set()
        try:
            if first:
                self.second.wait(1.0)  # the window another thread of the instance may enter
            return bool(self._store.hold_lease(holder, seconds))
        finally:
            with self._count:
                self.inside -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_one_thread_of_an_instance_holds_the_lease_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ticker and a clock move's tick keeping the lease at once: on Redis the second
    saw the first's hold as another instance's, and the holder stepped down."""
    monkeypatch.setattr(lease, "RENEW_EVERY", 0.0)  # each tick looks at the lease
    store = _Overlapping(open_store(f"sqlite:///{tmp_path / 'mock.db'}"))
    world = _stored(tmp_path, store)
    ticks = [threading.Thread(target=world.tick) for _ in range(2)]
    for tick in ticks:
        tick.start()
    for tick in ticks:
        tick.join(10)
    assert world.leading
    assert store.most == 1
