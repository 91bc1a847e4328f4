"""The mock's state behind one lock, with one method per API operation (moto's backend)."""

from __future__ import annotations

import heapq
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator

from campaign_mock.domain import lifecycle
from campaign_mock.domain.clock import Clock, MockClock
from campaign_mock.domain.deliveries import Batch
from campaign_mock.domain.errors import ConflictError, NotFoundError
from campaign_mock.domain.models import Actor, Campaign, Channel, Fixtures, State, Transition
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.references import check_references
from campaign_mock.domain.sessions import Sessions
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import CHUNK, Simulation
from campaign_mock.domain.world import WorldChanges, WorldMeta


class _Untracked:
    """Where changes go when no store copies them: nowhere, so memory stays flat."""

    def add(self, ident: int) -> None:
        pass

    def update(self, idents: Iterable[int]) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        return iter(())


_UNTRACKED = _Untracked()
#: Verified credential pairs kept per fixtures: a guesser's wrong pairs are never kept, and
#: more right pairs than this are checked again each time.
MAX_VERIFIED = 64


class CampaignBackend:
    """Holds fixtures, campaigns and sessions; every public method is atomic.

    Campaigns handed out are copies, so callers serialize them outside the lock.
    """

    def __init__(
        self,
        fixtures: Fixtures,
        clock: Clock | None = None,
        settings: SimulationSettings | None = None,
        sessions: Sessions | None = None,
        *,
        replica: bool = False,
        take_id: Callable[[], int] | None = None,
    ) -> None:
        """`replica`: one copy of a world several instances share (store/shared.py): it
        remembers what changed for `export_changes()`, and requests leave due sends to the
        one instance that moves them, by the steps of `tick`. `take_id`: where a new
        campaign's id comes from when not from this copy (a store's counter, which every
        copy shares); it is asked only once the campaign is valid."""
        self._lock = threading.RLock()
        self._clock: Clock = clock or MockClock()
        self._simulation = Simulation(settings or SimulationSettings())
        self._fixtures = fixtures
        #: The fixtures the verified credential pairs belong to, and those pairs.
        self._verified: tuple[Fixtures, set[tuple[str, str]]] = (fixtures, set())
        self._campaigns: dict[int, Campaign] = {}
        # READY campaigns by send time, so start_due never scans every campaign held.
        # Entries go stale (deleted, moved, rescheduled); start_due skips those.
        self._due: list[tuple[float, int, int]] = []  # (starts at, id, its `when`)
        self._sessions = sessions if sessions is not None else Sessions()
        self._next_id = 1
        self._take_id = take_id
        #: Requests bring due sends forward (M-4) themselves, except on a replica: there only
        #: the instance holding the sends moves them, on its ticker.
        self._replica = replica
        #: What changed since `export_changes()`: campaign ids, and whether the rest (next id,
        #: fixtures, settings) did; only a replica keeps the ids, so memory stays flat.
        self._changed: set[int] | _Untracked = self._no_changes()
        self._meta_changed = False

    # -- fixtures and lifetime -------------------------------------------------

    @property
    def fixtures(self) -> Fixtures:
        return self._fixtures

    @property
    def clock(self) -> Clock:
        return self._clock

    def reset(self) -> None:
        """A fresh server on the same fixtures: campaigns and sessions gone, ids from 1."""
        with self._lock:
            self._changed.update(self._campaigns)
            self._meta_changed = True
            self._campaigns.clear()
            self._due.clear()
            self._sessions.clear()
            self._next_id = 1
            self._simulation.reset()

    def load_fixtures(self, fixtures: Fixtures) -> None:
        """Replaces the fixtures, then resets."""
        with self._lock:
            self._fixtures = fixtures
            self.reset()

    # -- authentication (V-5) --------------------------------------------------

    def check_credentials(self, username: str, password: str) -> bool:
        """The account password or any of its API keys, compared in constant time; a pair
        once verified is known until the fixtures change (a client sends the same pair on
        every request, and the comparisons cost a tenth of a GET)."""
        fixtures = self._fixtures
        fixtures_seen, verified = self._verified
        if fixtures_seen is not fixtures:
            verified = set()
            self._verified = (fixtures, verified)
        if (username, password) in verified:
            return True
        if not _matches(fixtures, username, password):
            return False
        if len(verified) < MAX_VERIFIED:
            verified.add((username, password))
        return True

    def login(self, username: str, password: str, now: float) -> str | None:
        """A new session token, or None for wrong credentials; `now` in the sessions' time
        (real seconds, see sessions.py)."""
        if not self.check_credentials(username, password):
            return None
        with self._lock:
            return self._sessions.open(username, now)

    def session_user(self, token: str, now: float) -> str | None:
        """The username a session token belongs to, if it is still open at `now`."""
        with self._lock:
            return self._sessions.user(token, now)

    def logout(self, token: str) -> None:
        """Ends a session; ending one that is not open is not an error."""
        with self._lock:
            self._sessions.close(token)

    # -- the campaign operations (R-3) -----------------------------------------

    def create_campaign(self, fields: CampaignFields) -> Campaign:
        """POST /campaign."""
        state = fields.state if "state" in fields.present else State.DRAFT
        with self._lock:
            self._catch_up()
            lifecycle.check_initial(state)
            lifecycle.require_when(state, fields.when)
            check_references(self._fixtures, fields.domain, fields.list_id, fields.segments)
            ident = self._next_id if self._take_id is None else self._take_id()
            campaign = Campaign(
                id=ident,
                name=fields.name,
                domain=fields.domain,
                list=fields.list_id,
                segments=list(fields.segments),
                state=state,
                when=fields.when,
                event_callback=fields.event_callback,
                payloads=self._fixtures.payloads,
            )
            campaign.history.append(_created(state, self._clock.now()))
            self._next_id = ident + 1
            self._meta_changed = self._meta_changed or self._take_id is None
            self._campaigns[campaign.id] = campaign
            self._changed.add(campaign.id)
            self._schedule(campaign)
            self._catch_up()
            return campaign.copy()

    def get_campaign(self, ident: int) -> Campaign:
        """GET /campaign/{id}."""
        with self._lock:
            self._catch_up()
            return self._find(ident).copy()

    def update_campaign(self, ident: int, fields: CampaignFields) -> Campaign:
        """PUT /campaign/{id}: a partial update (Q-5)."""
        with self._lock:
            self._catch_up()
            campaign = self._find(ident)
            lifecycle.check_editable(campaign.state)
            state = fields.state if "state" in fields.present else campaign.state
            lifecycle.check_client_transition(campaign.state, state)
            when = fields.when if "when" in fields.present else campaign.when
            lifecycle.require_when(state, when)
            domain = fields.domain if "domain" in fields.present else campaign.domain
            segments = fields.segments if "segments" in fields.present else campaign.segments
            check_references(
                self._fixtures,
                domain if "domain" in fields.present else None,
                campaign.list,
                segments if "segments" in fields.present else [],
            )
            campaign.name = fields.name if "name" in fields.present else campaign.name
            campaign.domain = domain
            campaign.segments = list(segments)
            campaign.move(state, self._clock.now(), Actor.CLIENT)
            campaign.when = when
            if "event_callback" in fields.present:
                campaign.event_callback = fields.event_callback
            self._changed.add(ident)
            self._schedule(campaign)
            self._catch_up()
            return campaign.copy()

    def delete_campaign(self, ident: int) -> Campaign:
        """DELETE /campaign/{id}: returns what was deleted (R-3)."""
        with self._lock:
            self._catch_up()
            campaign = self._find(ident)
            lifecycle.check_deletable(campaign.state)
            del self._campaigns[ident]
            self._changed.add(ident)
            return campaign.copy()

    # -- the control API's view ------------------------------------------------

    def set_payloads(self, ident: int, payloads: tuple[Channel, ...]) -> Campaign:
        """Which payloads a campaign carries; only before it sends."""
        with self._lock:
            campaign = self._find(ident)
            lifecycle.check_editable(campaign.state)
            campaign.payloads = payloads
            self._changed.add(ident)
            return campaign.copy()

    def force_state(self, ident: int, state: State) -> Campaign:
        """Puts a campaign in any state, bypassing M-2: for tests of how clients show states."""
        with self._lock:
            campaign = self._find(ident)
            campaign.move(state, self._clock.now(), Actor.CONTROL)
            self._changed.add(ident)
            self._schedule(campaign)
            return campaign.copy()

    def campaigns(self) -> list[Campaign]:
        """Every campaign held, by id."""
        with self._lock:
            self._catch_up()
            return [c.copy() for _, c in sorted(self._campaigns.items())]

    @property
    def next_id(self) -> int:
        return self._next_id

    # -- the simulation (domain/simulation.py) ----------------------------------

    @property
    def simulation(self) -> Simulation:
        return self._simulation

    def tick(
        self,
        horizon: float | None = None,
        budget: int = CHUNK,
        pause: Callable[[], None] | None = None,
    ) -> None:
        """Brings the simulation to the clock's time, drawing messages up to `horizon` if later.

        Works `budget` contacts per hold of the lock and calls `pause` between holds (the
        caller's way to yield), so API requests interleave.
        """
        more = True
        while more:
            with self._lock:
                now = self._clock.now()
                self.start_due(now)
                more = self.advance_sends(now, horizon, budget)
                self.end_sends(now)
            if more and pause is not None:
                pause()

    def configure_simulation(self, settings: SimulationSettings) -> None:
        with self._lock:
            self._simulation.configure(settings)
            self._meta_changed = True

    def flush_callbacks(self) -> None:
        """Every event so far goes out now, whatever its window; waiting retries too."""
        with self._lock:
            self._catch_up()
            self._simulation.flush(self._clock.now())

    def redeliver(self, batch: int) -> Batch | None:
        """Sends callback batch `batch` once more, whatever its state; None if there is none."""
        with self._lock:
            return self._simulation.outbox.redeliver(batch, self._clock.now())

    def callbacks_pending(self, until: float, wait: float = 0.0) -> int | None:
        """Attempts due at `until` or in flight: a move of the clock ticks this world before
        asking, so every window closed by `until` is in the outbox already."""
        return self._simulation.outbox.busy(until)

    def abort_campaign(self, ident: int, reason: str) -> Campaign:
        """An injected fault: a SENDING campaign's send cannot go on, so it ends in ERROR.

        It runs only where the sends run (in memory, or on a store's lease holder), so even
        a replica first brings them to now, as a request does in memory: a send whose last
        outcome is in reads DONE (a conflict saying so), and a SENDING campaign whose send
        this copy lacks (forced SENDING, or started by an instance that had just lost the
        lease) has its send taken up from its start, then aborted."""
        with self._lock:
            now = self._clock.now()
            self._bring_sends(now)
            campaign = self._find(ident)
            if campaign.state is State.SENDING and not self._simulation.has_job(ident):
                self._take_up(campaign, now)
            aborted = self._simulation.abort(ident, now, reason, Actor.CONTROL)
            self.end_sends(now)
            if not aborted:
                raise ConflictError(
                    f"campaign {ident} is {campaign.state}, not SENDING",
                    {"state": [f"campaign is {campaign.state}"]},
                )
            return campaign.copy()

    def take_up_orphans(self) -> None:
        """SENDING campaigns this copy has no send for (a lease holder that died before it
        checkpointed them): each starts again from its first message, at its start."""
        with self._lock:
            for campaign in self._campaigns.values():
                if campaign.state is State.SENDING and not self._simulation.has_job(campaign.id):
                    self._take_up(campaign, self._clock.now())

    # -- a tick's steps (a shared store runs them under different locks) ---------------

    def start_due(self, now: float) -> None:
        """READY campaigns due by `now` move to SENDING and their sends start (M-4)."""
        with self._lock:
            while self._due and self._due[0][0] <= now:
                _starts, ident, when = heapq.heappop(self._due)
                campaign = self._campaigns.get(ident)
                if campaign is not None and campaign.state is State.READY and campaign.when == when:
                    lifecycle.check_server_transition(State.READY, State.SENDING)
                    campaign.move(State.SENDING, now, Actor.SERVER)
                    self._changed.add(ident)
                    self._simulation.start(campaign, self._fixtures, now)

    def advance_sends(self, now: float, horizon: float | None, budget: int) -> bool:
        """Draws messages up to `horizon` (at most `budget` contacts) and releases the windows
        closed by `now`; changes no campaign. True if work is left."""
        with self._lock:
            return self._simulation.advance(now, max(now, horizon or now), budget)

    def end_sends(self, now: float) -> None:
        """Sends over by `now` move their campaigns to DONE or ERROR (M-4)."""
        with self._lock:
            for ending in self._simulation.take_endings(now):
                campaign = self._campaigns.get(ending.campaign)
                if campaign is None or campaign.state is not State.SENDING:
                    continue  # moved by hand through the control API meanwhile
                lifecycle.check_server_transition(State.SENDING, ending.state)
                campaign.move(ending.state, now, ending.by)
                campaign.error = ending.error
                self._changed.add(campaign.id)

    def sends_pending(self, now: float) -> bool:
        """Whether a tick at `now` has work: a send in progress, or a READY campaign that may
        be due (an entry may be stale: `start_due` skips it)."""
        with self._lock:
            return bool(self._simulation.sending()) or bool(self._due and self._due[0][0] <= now)

    # -- replication: how a shared store (store/shared.py) copies a world ----------------

    def export_changes(self, *, everything: bool = False) -> WorldChanges:
        """What changed since the last call (a replica's; `everything`: every campaign and
        the meta, as a newcomer writes them), and forgets it."""
        with self._lock:
            idents = self._campaigns if everything else self._changed
            campaigns = {i: _copy_or_none(self._campaigns.get(i)) for i in idents}
            meta = None
            if everything or self._meta_changed:
                meta = WorldMeta(self._next_id, self._fixtures, self._simulation.settings)
            self._meta_changed = False
            self._changed = self._no_changes()
            return WorldChanges(campaigns, meta)

    def apply_changes(self, changes: WorldChanges, *, full: bool = False) -> None:
        """Takes what another copy of this world wrote. `full`: it reset, so `changes` holds
        every campaign and those held here go first. New fixtures or settings replace
        these; campaigns simply replace theirs."""
        with self._lock:
            if full:
                self._campaigns.clear()
                self._due.clear()
            meta = changes.meta
            if meta is not None:
                self._next_id = meta.next_id
                self._fixtures = meta.fixtures
                if meta.settings != self._simulation.settings:
                    self._simulation.configure(meta.settings)
            for ident, campaign in changes.campaigns.items():
                if campaign is None:
                    self._campaigns.pop(ident, None)
                else:
                    self._campaigns[ident] = campaign
                    self._schedule(campaign)

    # -- internals -------------------------------------------------------------

    def _find(self, ident: int) -> Campaign:
        campaign = self._campaigns.get(ident)
        if campaign is None:
            raise NotFoundError(f"campaign {ident} does not exist")
        return campaign

    def _catch_up(self) -> None:
        """Moves due READY campaigns to SENDING and on (M-4), at the clock's time."""
        if not self._replica:
            self._bring_sends(self._clock.now())

    def _bring_sends(self, now: float) -> None:
        """Due sends start, and those over by `now` end: campaigns' states only, since
        handing events to the outbox is the ticker's job, not a request's."""
        if self._simulation.idle() and (not self._due or self._due[0][0] > now):
            return  # nothing sending, ending or due: most requests
        self.start_due(now)
        self._simulation.advance(now, now, release=False)
        self.end_sends(now)

    def _take_up(self, campaign: Campaign, now: float) -> None:
        """Starts again the send of a SENDING campaign this copy has none for, at its start."""
        started = next((t.at for t in reversed(campaign.history) if t.state is State.SENDING), now)
        self._simulation.start(campaign, self._fixtures, started)

    def _no_changes(self) -> set[int] | _Untracked:
        return set() if self._replica else _UNTRACKED

    def _schedule(self, campaign: Campaign) -> None:
        if campaign.state is State.READY and campaign.when is not None:
            # M-4 leaves open how soon: `start_delay` after `when`, or after READY if later.
            delay = self._simulation.settings.start_delay
            starts = max(campaign.when, self._clock.now()) + delay if delay else campaign.when
            heapq.heappush(self._due, (starts, campaign.id, campaign.when))


def _created(state: State, now: float) -> Transition:
    return Transition(state, now, Actor.CLIENT)


def _matches(fixtures: Fixtures, username: str, password: str) -> bool:
    """Whether `password` is the account's password or one of its API keys."""
    for account in fixtures.accounts:
        if not secrets.compare_digest(account.username.encode(), username.encode()):
            continue
        secrets_ok = (account.password, *account.api_keys)
        return any(secrets.compare_digest(s.encode(), password.encode()) for s in secrets_ok)
    return False


def _copy_or_none(campaign: Campaign | None) -> Campaign | None:
    return None if campaign is None else campaign.copy()
