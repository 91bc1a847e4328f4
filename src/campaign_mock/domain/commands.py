"""What an instance asks the sends' holder to do, and what it answers, as data.

The set of commands is closed: flush, abort(campaign, reason), redeliver(batch) and
pending(until), which only reads. A record naming anything else is refused (`RecordError`),
so a command read from a shared store can only ever run one of these four operations, with
arguments of their types.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign_mock.domain.deliveries import Batch, batch_from_record, batch_to_record
from campaign_mock.domain.errors import (
    CampaignError,
    ConflictError,
    InvalidError,
    NotFoundError,
    UnresolvedReferenceError,
)
from campaign_mock.domain.models import Campaign
from campaign_mock.domain.reading import Fields, RecordError
from campaign_mock.domain.records import campaign_from_record, campaign_to_record


@dataclass(slots=True, frozen=True)
class Flush:
    """Every event so far is reported now (`CampaignBackend.flush_callbacks`)."""


@dataclass(slots=True, frozen=True)
class Abort:
    """A SENDING campaign's send ends in ERROR (`CampaignBackend.abort_campaign`)."""

    campaign: int
    reason: str


@dataclass(slots=True, frozen=True)
class Redeliver:
    """A callback batch goes once more (`CampaignBackend.redeliver`)."""

    batch: int


@dataclass(slots=True, frozen=True)
class Pending:
    """How many callback attempts due at mock time `until` the holder has yet to make
    (`World.callbacks_pending`, for a settling move of the clock); changes nothing."""

    until: float


Command = Flush | Abort | Redeliver | Pending

#: Every command's record name; nothing else is ever run.
COMMAND_NAMES = ("flush", "abort", "redeliver", "pending")


def command_to_record(command: Command) -> dict[str, object]:
    if isinstance(command, Flush):
        return {"command": "flush"}
    if isinstance(command, Abort):
        return {"command": "abort", "campaign": command.campaign, "reason": command.reason}
    if isinstance(command, Pending):
        return {"command": "pending", "until": command.until}
    return {"command": "redeliver", "batch": command.batch}


def command_from_record(value: object, where: str = "command") -> Command:
    record = Fields(value, where)
    name = record.text("command")
    if name == "flush":
        return Flush()
    if name == "abort":
        return Abort(record.integer("campaign"), record.text("reason"))
    if name == "redeliver":
        return Redeliver(record.integer("batch"))
    if name == "pending":
        return Pending(record.number("until"))
    known = ", ".join(COMMAND_NAMES)
    raise RecordError(f"{where}: {name!r} is not a command (known: {known})")


# -- answers ----------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Done:
    """A command that returns nothing (flush) ran."""

    @property
    def value(self) -> None:
        return None


@dataclass(slots=True, frozen=True)
class CampaignAnswer:
    """The campaign as the command left it (abort)."""

    value: Campaign


@dataclass(slots=True, frozen=True)
class BatchAnswer:
    """The batch queued again, or None if there is no such batch (redeliver)."""

    value: Batch | None


@dataclass(slots=True, frozen=True)
class CountAnswer:
    """Attempts still to make, or None while the holder has not reached the time (pending)."""

    value: int | None


@dataclass(slots=True, frozen=True)
class Refused:
    """The command raised a `CampaignError`; the asker raises the same kind."""

    code: str
    message: str
    errors: dict[str, list[str]]

    @classmethod
    def of(cls, error: CampaignError) -> Refused:
        return cls(error.code, error.message, error.errors)

    def error(self) -> CampaignError:
        return _ERRORS[self.code](self.message, self.errors)


Answer = Done | CampaignAnswer | BatchAnswer | CountAnswer | Refused

#: The errors an answer may carry, by their wire code (errors.py).
_ERRORS: dict[str, type[CampaignError]] = {
    kind.code: kind
    for kind in (InvalidError, UnresolvedReferenceError, ConflictError, NotFoundError)
}


def answer_to_record(answer: Answer) -> dict[str, object]:
    if isinstance(answer, Done):
        return {"answer": "done"}
    if isinstance(answer, CampaignAnswer):
        return {"answer": "campaign", "campaign": campaign_to_record(answer.value)}
    if isinstance(answer, BatchAnswer):
        batch = None if answer.value is None else batch_to_record(answer.value)
        return {"answer": "batch", "batch": batch}
    if isinstance(answer, CountAnswer):
        return {"answer": "count", "count": answer.value}
    return {
        "answer": "error",
        "code": answer.code,
        "message": answer.message,
        "errors": answer.errors,
    }


def answer_from_record(value: object, where: str = "answer") -> Answer:
    record = Fields(value, where)
    kind = record.text("answer")
    if kind == "done":
        return Done()
    if kind == "campaign":
        return CampaignAnswer(campaign_from_record(record.value("campaign"), f"{where}.campaign"))
    if kind == "batch":
        return BatchAnswer(
            record.optional("batch", lambda name: batch_from_record(record.obj(name)))
        )
    if kind == "count":
        return CountAnswer(record.optional("count", record.integer))
    if kind == "error":
        code = record.text("code")
        if code not in _ERRORS:
            raise RecordError(f"{where}.code: {code!r} is not an error code")
        errors = record.obj("errors")
        return Refused(
            code, record.text("message"), {name: errors.texts(name) for name in errors.record}
        )
    raise RecordError(f"{where}: {kind!r} is not an answer (done, campaign, batch, count, error)")
