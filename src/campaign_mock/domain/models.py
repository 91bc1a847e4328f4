"""The records the mock holds: fixtures (accounts, domains, lists) and campaigns."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    """Campaign states; values are the wire strings (M-1)."""

    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    READY = "READY"
    SENDING = "SENDING"
    DONE = "DONE"
    ERROR = "ERROR"


class Channel(StrEnum):
    """Payload kinds; a contact gets a message on a channel only if it has its address (A-2)."""

    EMAIL = "email"
    SMS = "sms"


@dataclass(slots=True, frozen=True)
class Account:
    """A login: the account password, and API keys that act as extra passwords (V-5)."""

    username: str
    password: str
    api_keys: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class Domain:
    """A sending domain; only bouncing ones may be a campaign's `domain` (Q-6)."""

    id: int
    name: str
    is_sending: bool = True
    is_bouncing: bool = True


@dataclass(slots=True, frozen=True)
class Contact:
    """One recipient; either address may be missing (A-2)."""

    id: int
    email: str | None = None
    telephone: str | None = None


@dataclass(slots=True, frozen=True)
class Segment:
    """A named subset of one list's contacts (A-1)."""

    id: int
    name: str
    contact_ids: frozenset[int] = frozenset()


@dataclass(slots=True, frozen=True)
class GeneratedContacts:
    """`count` contacts made on demand from patterns, so a huge list needs no huge file.

    Contact number `n` (1 to `count`) has id `first_id + n - 1` and the addresses
    `email.format(n=n)` and `telephone.format(n=n)` (a missing pattern: no such address).
    """

    count: int
    first_id: int
    email: str | None = None
    telephone: str | None = None

    @property
    def ids(self) -> range:
        return range(self.first_id, self.first_id + self.count)


@dataclass(slots=True, frozen=True)
class ContactList:
    """A contact list and the segments defined within it; `generated` adds contacts by pattern."""

    id: int
    name: str
    contacts: tuple[Contact, ...] = ()
    segments: tuple[Segment, ...] = ()
    generated: GeneratedContacts | None = None


class Actor(StrEnum):
    """Who moved a campaign: an API client, the server's own sending (M-4), or the control API."""

    CLIENT = "client"
    SERVER = "server"
    CONTROL = "control"


@dataclass(slots=True, frozen=True)
class Transition:
    """One entry of a campaign's state history, at the mock's time `at`."""

    state: State
    at: float
    by: Actor

    def to_wire(self) -> dict[str, object]:
        return {"state": self.state.value, "at": self.at, "by": self.by.value}


@dataclass(slots=True)
class Campaign:
    """A campaign as the API shows it (R-2), plus the payloads it carries (A-2)."""

    id: int
    name: str
    domain: int
    list: int
    segments: builtins.list[int]  # `list` above shadows the builtin in this class body
    state: State
    when: int | None
    event_callback: str | None
    payloads: tuple[Channel, ...] = (Channel.EMAIL, Channel.SMS)
    error: str | None = field(default=None)
    #: Every state it has been in, first the one it was created in; not part of R-2's data.
    history: builtins.list[Transition] = field(default_factory=builtins.list)

    def move(self, state: State, at: float, by: Actor) -> None:
        """Sets the state and records the transition (a PUT to the same state records none)."""
        if state is not self.state or not self.history:
            self.history.append(Transition(state, at, by))
        self.state = state

    def copy(self) -> Campaign:
        """A copy with lists of its own, to leave the backend's lock (dataclasses.replace
        costs four times as much, on every request that reads a campaign)."""
        return Campaign(
            self.id,
            self.name,
            self.domain,
            self.list,
            builtins.list(self.segments),
            self.state,
            self.when,
            self.event_callback,
            self.payloads,
            self.error,
            builtins.list(self.history),
        )

    def to_wire(self) -> dict[str, object]:
        """The `data` object of R-2, with the mock's extra `payloads` field."""
        wire: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "list": self.list,
            "segments": list(self.segments),
            # str() of a StrEnum is its value, without `.value`'s two Python calls per read.
            "state": str(self.state),
            "when": self.when,
            "event_callback": self.event_callback,
            "payloads": list(map(str, self.payloads)),
        }
        if self.error is not None:
            wire["error"] = self.error
        return wire


@dataclass(slots=True, frozen=True)
class Fixtures:
    """Everything the campaign page refers to but does not define; loaded at start and on reset."""

    accounts: tuple[Account, ...] = ()
    domains: tuple[Domain, ...] = ()
    lists: tuple[ContactList, ...] = ()
    payloads: tuple[Channel, ...] = (Channel.EMAIL, Channel.SMS)

    def domain(self, ident: int) -> Domain | None:
        """The domain with this id, if any."""
        return next((d for d in self.domains if d.id == ident), None)

    def contact_list(self, ident: int) -> ContactList | None:
        """The contact list with this id, if any."""
        return next((c for c in self.lists if c.id == ident), None)

    def list_of_segment(self, ident: int) -> ContactList | None:
        """The contact list that defines this segment, if any."""
        return next((c for c in self.lists if any(s.id == ident for s in c.segments)), None)
