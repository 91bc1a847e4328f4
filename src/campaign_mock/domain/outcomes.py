"""What happens to each message (E-1, E-2): seeded outcomes and event times, and magic addresses.

Per message the seeded RNG draws the outcome and the delay of each step; the events go
straight into the campaign's buckets. The same seed, settings and audience give the same
events, however the work is cut into chunks.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from enum import Enum
from math import floor, log

from campaign_mock.domain.aggregation import Event, EventBuckets, put
from campaign_mock.domain.audience import Recipient
from campaign_mock.domain.models import Channel
from campaign_mock.domain.reading import Fields, RecordError
from campaign_mock.domain.settings import (
    SimulationSettings,
    settings_from_record,
    settings_to_record,
)

#: Email addresses at this domain always have the outcome their local part names.
#: More messages than any audience holds: what `due_by` counts past for an enormous rate.
_MANY = 2**62
MAGIC_EMAIL_DOMAIN = "simulator.campaign-mock.dev"


class Fate(Enum):
    """An outcome forced by a magic address instead of drawn from the rates."""

    BOUNCE = "bounce"
    DELIVER = "deliver"  # delivered, never opened
    OPEN = "open"  # delivered and opened, never clicked
    CLICK = "click"  # delivered, opened and clicked
    FAIL = "fail"  # the provider refuses the message: the send cannot go on (M-4 ERROR)


#: Local parts (before any `+tag`) of magic email addresses.
MAGIC_LOCAL_PARTS: dict[str, Fate] = {
    "bounce": Fate.BOUNCE,
    "delivered": Fate.DELIVER,
    "noopen": Fate.DELIVER,
    "opened": Fate.OPEN,
    "noclick": Fate.OPEN,
    "clicked": Fate.CLICK,
    "click": Fate.CLICK,
    "fail": Fate.FAIL,
}

#: Magic telephone numbers, in the spirit of Twilio's test numbers.
MAGIC_TELEPHONES: dict[str, Fate] = {
    "+15005550000": Fate.DELIVER,
    "+15005550001": Fate.BOUNCE,
    "+15005550009": Fate.FAIL,
}

_SUFFIX = "@" + MAGIC_EMAIL_DOMAIN


def magic_email_fate(address: str) -> Fate | None:
    """`bounce@simulator.campaign-mock.dev`, `clicked+promo@...`: the fate the name promises.

    Called for every contact of a send: most addresses are told apart by where their `@`
    stands, before any is lowered."""
    if len(address) < len(_SUFFIX) or address[-len(_SUFFIX)] != "@":
        return None
    if not address.lower().endswith(_SUFFIX):
        return None
    local = address[: -len(_SUFFIX)].split("+", 1)[0].lower()
    return MAGIC_LOCAL_PARTS.get(local)


def campaign_rng(seed: int, campaign: int) -> random.Random:
    """One stream per campaign, so one campaign's outcomes never depend on another's."""
    return random.Random(f"campaign-mock:{seed}:{campaign}")


def _rng_from_record(record: Fields) -> random.Random:
    """A Mersenne Twister exactly where it was: version 3, 624 words and the index."""
    words = record.integers("words")
    gauss_next = record.optional("gauss_next", record.number)
    rng = random.Random()
    try:
        rng.setstate((record.integer("version"), tuple(words), gauss_next))
    except (ValueError, TypeError, OverflowError) as error:
        raise RecordError(f"{record.where}: not a random generator's state ({error})") from None
    return rng


class MessageSimulator:
    """Draws each message's events and puts them in `buckets` (or only times, if unreported)."""

    def __init__(
        self,
        settings: SimulationSettings,
        rng: random.Random,
        buckets: EventBuckets,
        *,
        report: bool,
    ) -> None:
        self._settings = settings
        self._rng = rng
        self._buckets = buckets
        self._report = report
        self.sent = 0
        self.last_final = buckets.start
        #: When a magic `fail` address stopped the send (its message never left), if one did.
        self.failed_at: float | None = None

    def to_record(self) -> dict[str, object]:
        """Plain data for a checkpoint: progress, settings and the RNG's exact state (its
        buckets are the job's, recorded there)."""
        version, words, gauss_next = self._rng.getstate()
        return {
            "sent": self.sent,
            "last_final": self.last_final,
            "failed_at": self.failed_at,
            "report": self._report,
            "settings": settings_to_record(self._settings),
            "rng": {"version": version, "words": list(words), "gauss_next": gauss_next},
        }

    @classmethod
    def from_record(cls, record: Fields, buckets: EventBuckets) -> MessageSimulator:
        settings = settings_from_record(record.value("settings"), f"{record.where}.settings")
        simulator = cls(
            settings, _rng_from_record(record.obj("rng")), buckets, report=record.flag("report")
        )
        simulator.sent = record.integer("sent")
        simulator.last_final = record.number("last_final")
        simulator.failed_at = record.optional("failed_at", record.number)
        return simulator

    def send_time(self, index: int) -> float:
        """Message `index` (0-based, per contact) leaves at the campaign's send rate."""
        return self._buckets.start + index / self._settings.send_rate

    def due_by(self, moment: float) -> int:
        """How many messages have left by `moment` at this send's own rate (the settings it
        started with): at least one more than `sent` once `send_time(sent)` has come, since
        `(moment - start) * rate` can round just below a whole number of messages."""
        count = (moment - self._buckets.start) * self._settings.send_rate
        due = 0  # before the start, or NaN (an infinite rate at the start itself)
        if count >= _MANY:  # an enormous rate: every contact left (`int()` of inf raises)
            due = _MANY
        elif count >= 0:
            due = floor(count) + 1
        if self.send_time(self.sent) <= moment:
            due = max(due, self.sent + 1)
        return due

    def send(self, recipients: Iterable[Recipient]) -> None:
        """Simulates the next contacts' messages, Email then SMS for each."""
        settings = self._settings
        rnd = self._rng.random
        buckets = self._buckets
        start = buckets.start
        per_window = 1.0 / buckets.window
        step = 1.0 / settings.send_rate
        d = settings.delays
        email, sms = settings.email, settings.sms
        magic = settings.magic_addresses
        report = self._report
        slots = buckets.slots
        submitted = slots[Channel.EMAIL, Event.SUBMITTED]
        delivered = slots[Channel.EMAIL, Event.DELIVERED]
        bounced = slots[Channel.EMAIL, Event.BOUNCED]
        opened = slots[Channel.EMAIL, Event.OPENED]
        clicked = slots[Channel.EMAIL, Event.CLICKED]
        sms_delivered = slots[Channel.SMS, Event.DELIVERED]
        sms_bounced = slots[Channel.SMS, Event.BOUNCED]
        index = self.sent
        last_final = self.last_final
        email_fate = sms_fate = None
        for address, telephone in recipients:
            sent_at = start + index * step
            if magic:  # each looked up once: the fail check and the outcome share it
                email_fate = None if address is None else magic_email_fate(address)
                sms_fate = None if telephone is None else MAGIC_TELEPHONES.get(telephone)
                if email_fate is Fate.FAIL or sms_fate is Fate.FAIL:
                    self.failed_at = sent_at
                    break
            index += 1
            if address is not None:
                fate = email_fate  # None unless magic addresses are on
                at = sent_at + 0.001 - d.submitted * log(1.0 - rnd())
                if report:
                    put(submitted, int((at - start) * per_window), address, at)
                at += 0.001 - d.final * log(1.0 - rnd())
                if at > last_final:
                    last_final = at
                if fate is Fate.BOUNCE or (fate is None and rnd() < email.bounce):
                    if report:
                        put(bounced, int((at - start) * per_window), address, at)
                else:
                    if report:
                        put(delivered, int((at - start) * per_window), address, at)
                    if fate is None:
                        opens = rnd() < email.open
                        clicks = opens and rnd() < email.click
                    else:
                        opens = fate is Fate.OPEN or fate is Fate.CLICK
                        clicks = fate is Fate.CLICK
                    if opens and report:
                        at += 0.001 - d.opened * log(1.0 - rnd())
                        put(opened, int((at - start) * per_window), address, at)
                        if clicks:
                            at += 0.001 - d.clicked * log(1.0 - rnd())
                            put(clicked, int((at - start) * per_window), address, at)
            if telephone is not None:
                at = sent_at + 0.001 - d.final * log(1.0 - rnd())
                if at > last_final:
                    last_final = at
                bounce = sms_fate is Fate.BOUNCE or (sms_fate is None and rnd() < sms.bounce)
                if report:
                    put(
                        sms_bounced if bounce else sms_delivered,
                        int((at - start) * per_window),
                        telephone,
                        at,
                    )
        self.sent = index
        self.last_final = last_final
