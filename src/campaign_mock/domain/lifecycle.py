"""The campaign state machine: which edges exist and which a client may take (M-1, M-2, M-5)."""

from __future__ import annotations

from campaign_mock.domain.errors import ConflictError, InvalidError
from campaign_mock.domain.models import State

#: Every edge of M-1, the server's included.
EDGES: frozenset[tuple[State, State]] = frozenset(
    {
        (State.DRAFT, State.SCHEDULED),
        (State.SCHEDULED, State.DRAFT),
        (State.SCHEDULED, State.READY),
        (State.READY, State.SCHEDULED),
        (State.READY, State.SENDING),
        (State.SENDING, State.DONE),
        (State.SENDING, State.ERROR),
    }
)

#: States a client may ask for, on POST or PUT (M-2).
CLIENT_STATES: frozenset[State] = frozenset({State.DRAFT, State.SCHEDULED, State.READY})

#: States in which PUT is allowed (M-5).
EDITABLE: frozenset[State] = CLIENT_STATES

#: States that need `when` (M-3).
NEEDS_WHEN: frozenset[State] = frozenset({State.SCHEDULED, State.READY})

#: Edges only the server takes (M-4).
SERVER_EDGES: frozenset[tuple[State, State]] = frozenset(
    edge for edge in EDGES if not (edge[0] in CLIENT_STATES and edge[1] in CLIENT_STATES)
)


def check_initial(state: State) -> None:
    """A POST may start a campaign in DRAFT, SCHEDULED or READY (M-2)."""
    if state not in CLIENT_STATES:
        raise ConflictError(
            f"state: a campaign cannot be created in {state}; use DRAFT, SCHEDULED or READY",
            {"state": [f"cannot be created in {state}"]},
        )


def check_editable(state: State) -> None:
    """PUT is refused once a campaign is SENDING, DONE or ERROR (M-5)."""
    if state not in EDITABLE:
        raise ConflictError(
            f"campaign is {state} and can no longer be edited",
            {"state": [f"campaign is {state}"]},
        )


def check_client_transition(current: State, target: State) -> None:
    """A client may stay put or take a two-way edge between client states (M-2)."""
    if current == target:
        return
    if target in CLIENT_STATES and (current, target) in EDGES:
        return
    raise ConflictError(
        f"state: cannot go from {current} to {target}",
        {"state": [f"cannot go from {current} to {target}"]},
    )


def check_server_transition(current: State, target: State) -> None:
    """Guards the server's own moves; a failure here is a bug in the mock."""
    if (current, target) not in SERVER_EDGES:
        raise AssertionError(f"the server may not move {current} to {target}")


def check_deletable(state: State) -> None:
    """DELETE is allowed in every state but SENDING (M-5)."""
    if state is State.SENDING:
        raise ConflictError(
            "campaign is SENDING and cannot be deleted until it ends",
            {"state": ["campaign is SENDING"]},
        )


def require_when(state: State, when: int | None) -> None:
    """M-3: SCHEDULED and READY need `when`."""
    if state in NEEDS_WHEN and when is None:
        raise InvalidError(
            f"when: a {state} campaign needs a send time",
            {"when": [f"is required for a {state} campaign"]},
        )
