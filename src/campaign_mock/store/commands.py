"""The sends' commands (domain/commands.py): run on the lease holder, asked of it by others."""

from __future__ import annotations

import logging

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.commands import (
    Abort,
    Answer,
    BatchAnswer,
    CampaignAnswer,
    Command,
    CountAnswer,
    Done,
    Flush,
    Pending,
    Refused,
    answer_from_record,
    answer_to_record,
    command_from_record,
    command_to_record,
)
from campaign_mock.domain.errors import CampaignError
from campaign_mock.domain.reading import RecordError
from campaign_mock.store.base import StateStore
from campaign_mock.store.codec import StoreFormatError, decode, encode, read
from campaign_mock.store.synced import SyncedLock

#: Where a command the holder cannot read is reported (one line each; the store is named).
log = logging.getLogger("campaign_mock.store")

#: Real seconds an instance waits for the lease holder to answer a command.
COMMAND_WAIT = 10.0


def run_command(
    command: Command, backend: CampaignBackend, synced: SyncedLock, reached: float
) -> Answer:
    """One command of the closed set on this instance's world, which holds the sends; under
    the store's lock, as a write (an abort ends a campaign, which every instance reads).
    `reached`: the mock time up to which the sends have released every window (pending)."""
    if isinstance(command, Pending):  # reads the outbox alone: no store lock
        until = command.until
        return CountAnswer(backend.callbacks_pending(until) if reached >= until else None)
    try:
        with synced:
            if isinstance(command, Flush):
                backend.flush_callbacks()
                return Done()
            if isinstance(command, Abort):
                return CampaignAnswer(backend.abort_campaign(command.campaign, command.reason))
            return BatchAnswer(backend.redeliver(command.batch))
    except CampaignError as error:
        return Refused.of(error)


def ask_holder(store: StateStore, command: Command, wait: float = COMMAND_WAIT) -> Answer | None:
    """Sends `command` to the lease holder and waits `wait` real seconds for its answer;
    None if none came."""
    ident = store.send_command(encode("command", command_to_record(command)))
    found = store.wait_answer(ident, wait)
    if found is None:
        return None
    return read("answer", found, answer_from_record, store.where("answer", ident), store.fresh)


def answer_commands(
    store: StateStore, backend: CampaignBackend, synced: SyncedLock, reached: float
) -> bool:
    """The holder runs every command queued so far and answers each; True if any that
    changes the sends ran (a pending, only reading, does not count). One it cannot read is
    refused, never run, and its asker hears why rather than waiting."""
    ran = False
    try:
        for ident, blob in store.take_commands():
            where = store.where("command", ident)
            try:
                command = command_from_record(decode("command", blob, where, store.fresh))
            except (StoreFormatError, RecordError) as error:
                said = str(error) if isinstance(error, StoreFormatError) else f"{where}: {error}"
                log.error("campaign-mock: a command is refused: %s", said)
                reason = f"the sending instance cannot read this command: {said}"
                refused = Refused("invalid", reason, {})
                store.answer(ident, encode("answer", answer_to_record(refused)))
                continue
            answer = run_command(command, backend, synced, reached)
            store.answer(ident, encode("answer", answer_to_record(answer)))
            ran = ran or not isinstance(command, Pending)
    except StoreFormatError as error:
        log.error("campaign-mock: %s", error)
    return ran
