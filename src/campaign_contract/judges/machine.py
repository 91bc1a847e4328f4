"""A plain model of M-1..M-5: the transition table and what each request must come to."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, Final

STATES: Final = ("DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR")
CLIENT: Final = frozenset({"DRAFT", "SCHEDULED", "READY"})
SENT: Final = frozenset({"SENDING", "DONE", "ERROR"})
FINAL: Final = frozenset({"DONE", "ERROR"})
NEEDS_WHEN: Final = frozenset({"SCHEDULED", "READY"})
#: M-1's two-way edges, the only ones a client may take (M-2).
TWO_WAY: Final = frozenset(
    {("DRAFT", "SCHEDULED"), ("SCHEDULED", "DRAFT"), ("SCHEDULED", "READY"), ("READY", "SCHEDULED")}
)


def put_allowed(current: str, target: str) -> bool:
    """M-2 and M-5: whether a PUT asking for `target` may succeed from `current`."""
    return current in CLIENT and (target == current or (current, target) in TWO_WAY)


@dataclass(slots=True)
class Expected:
    """What a request must come to: success, or a failure with one of these codes."""

    codes: frozenset[str] = frozenset()
    rule: str = "M-2"

    @property
    def success(self) -> bool:
        return not self.codes


@dataclass(slots=True)
class ModelCampaign:
    id: int
    name: str
    domain: int
    list: int
    segments: builtins.list[int]  # `list` above shadows the builtin here
    state: str
    when: int | None
    event_callback: str | None
    #: True once the server has taken it on (READY with a past `when`, M-4).
    sends: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "list": self.list,
            "segments": self.segments,
            "when": self.when,
            "event_callback": self.event_callback,
        }


def expect(
    *,
    current: str | None,
    target: str,
    when: int | None,
    name_ok: bool,
    segments_ok: bool,
) -> Expected:
    """The outcome docs/internals.md's order gives; several faults allow any of their codes."""
    faults: list[tuple[str, str]] = []
    if not name_ok:
        faults.append(("invalid", "Q-4"))
    if current is None:
        if target not in CLIENT:
            faults.append(("conflict", "M-2"))
    elif current in SENT:
        faults.append(("conflict", "M-5"))
    elif not put_allowed(current, target):
        faults.append(("conflict", "M-2"))
    if target in NEEDS_WHEN and when is None and current not in SENT:
        faults.append(("invalid", "M-3"))
    if not segments_ok:
        faults.append(("reference", "Q-6s"))
    if not faults:
        return Expected()
    return Expected(frozenset(code for code, _rule in faults), faults[0][1])
