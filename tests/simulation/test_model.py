"""The simulation's pure parts: aggregation (C-2, C-3), outcomes (E-1, E-2), magic, settings."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from campaign_mock.domain.aggregation import Chunk, Event, EventBuckets, put
from campaign_mock.domain.audience import Recipient, recipients
from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.models import Channel, ContactList, GeneratedContacts
from campaign_mock.domain.outcomes import Fate, MessageSimulator, campaign_rng, magic_email_fate
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import (
    FixturesError,
    default_fixtures,
    fixtures_from_document,
    fixtures_to_document,
)

from .conftest import START


def test_C2_C3_chunks_are_small_early_enough_and_dated_by_their_earliest_event() -> None:
    buckets = EventBuckets(START, window=60, batch_size=1000)
    rng = random.Random(1)
    times = {}
    slot = buckets.slots[Channel.EMAIL, Event.OPENED]
    for n in range(5000):
        at = START + rng.uniform(0, 600)
        times[f"u{n}@x"] = at
        put(slot, buckets.window_of(at), f"u{n}@x", at)
    chunks, more = buckets.release(START + 600)
    assert not more and buckets.is_empty()
    assert sorted(a for c in chunks for a in c.addresses) == sorted(times)
    for chunk in chunks:
        assert 1 <= len(chunk.addresses) <= 1000  # C-2
        events = [times[a] for a in chunk.addresses]
        assert chunk.when == math.floor(min(events))  # C-3: `when` is the earliest event
        assert all(chunk.closes_at - at <= 60 for at in events)  # reported within the window


def test_C3_release_with_a_budget_resumes_in_order() -> None:
    buckets = EventBuckets(START, window=60, batch_size=10)
    for channel, event in buckets.slots:
        for n in range(30):
            put(buckets.slots[channel, event], n % 3, f"{event}{n}", START + (n % 3) * 60 + 1)
    whole = EventBuckets(START, 60, 10)
    whole.slots = {
        k: {w: (list(b[0]), b[1]) for w, b in v.items()} for k, v in buckets.slots.items()
    }
    expected, _ = whole.release(START + 180)
    pieces = []
    more = True
    while more:
        found, more = buckets.release(START + 180, budget=25)
        pieces.extend(found)
    assert pieces == expected


def test_flush_and_abort_split_a_window_at_a_moment() -> None:
    buckets = EventBuckets(START, window=300, batch_size=1000)
    slot = buckets.slots[Channel.SMS, Event.DELIVERED]
    for n in range(10):
        put(slot, 0, f"+{n}", START + n * 10)
    flushed = buckets.release_until(START + 45)
    assert [a for c in flushed for a in c.addresses] == ["+0", "+1", "+2", "+3", "+4"]
    buckets.drop_after(START + 75)
    later = buckets.release_until(START + 1000)
    assert [a for c in later for a in c.addresses] == ["+5", "+6", "+7"]


@pytest.mark.parametrize(
    ("address", "fate"),
    [
        ("bounce@simulator.campaign-mock.dev", Fate.BOUNCE),
        ("bounce+promo-7@simulator.campaign-mock.dev", Fate.BOUNCE),
        ("noopen@simulator.campaign-mock.dev", Fate.DELIVER),
        ("opened@SIMULATOR.campaign-mock.dev", Fate.OPEN),
        ("clicked+x@simulator.campaign-mock.dev", Fate.CLICK),
        ("who@simulator.campaign-mock.dev", None),
        ("bounce@example.com", None),
    ],
)
def test_magic_email_addresses(address: str, fate: Fate | None) -> None:
    assert magic_email_fate(address) is fate


def _simulate(
    addresses: Sequence[Recipient], settings: SimulationSettings
) -> tuple[MessageSimulator, list[Chunk], dict[tuple[Channel, str], list[tuple[float, Event]]]]:
    buckets = EventBuckets(START, settings.window, settings.batch_size)
    simulator = MessageSimulator(settings, campaign_rng(settings.seed, 1), buckets, report=True)
    simulator.send(addresses)
    chunks, _ = buckets.release(START + 10**8)
    timeline: dict[tuple[Channel, str], list[tuple[float, Event]]] = defaultdict(list)
    for chunk in chunks:
        for address in chunk.addresses:
            timeline[chunk.channel, address].append((chunk.first_event, chunk.event))
    return simulator, chunks, timeline


def test_magic_addresses_always_give_their_outcome() -> None:
    settings = SimulationSettings(seed=3)
    domain = "@simulator.campaign-mock.dev"
    _, chunks, _ = _simulate(
        [
            (f"bounce{domain}", "+15005550001"),
            (f"noopen{domain}", "+15005550000"),
            (f"opened{domain}", None),
            (f"clicked{domain}", None),
        ],
        settings,
    )
    got = {(c.event.value, a) for c in chunks for a in c.addresses}
    assert ("bounced", f"bounce{domain}") in got
    assert ("bounced", "+15005550001") in got and ("delivered", "+15005550000") in got
    assert {e for e, a in got if a == f"noopen{domain}"} == {"submitted", "delivered"}
    assert {e for e, a in got if a == f"opened{domain}"} == {"submitted", "delivered", "opened"}
    assert {e for e, a in got if a == f"clicked{domain}"} == {
        "submitted", "delivered", "opened", "clicked",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("address", "events"),
    [
        ("BOUNCE@Simulator.Campaign-Mock.dev", {"submitted", "bounced"}),
        ("Opened+Tag@SIMULATOR.campaign-mock.dev", {"submitted", "delivered", "opened"}),
        ("noopen@simulator.CAMPAIGN-MOCK.DEV", {"submitted", "delivered"}),
    ],
)
def test_a_magic_address_gives_its_outcome_in_any_case(address: str, events: set[str]) -> None:
    """docs/simulation.md: case does not matter, for the outcome as for `fail`. Seeds whose
    draws would give another outcome are among those tried."""
    for seed in range(8):
        _, chunks, _ = _simulate([(address, None)], SimulationSettings(seed=seed))
        assert {c.event.value for c in chunks if address in c.addresses} == events, seed


def test_a_magic_fail_address_stops_the_send_in_any_case() -> None:
    simulator, chunks, _ = _simulate(
        [
            ("a@example.com", None),
            ("FAIL@Simulator.campaign-mock.DEV", None),
            ("b@example.com", None),
        ],
        SimulationSettings(seed=1),
    )
    assert simulator.sent == 1 and simulator.failed_at is not None
    assert {a for c in chunks for a in c.addresses} == {"a@example.com"}


def test_E1_E2_every_message_follows_its_channel_rules_and_rates_hold() -> None:
    settings = SimulationSettings(seed=5)
    people = [(f"u{n}@example.com", f"+3519{n:08d}") for n in range(20_000)]
    simulator, chunks, _ = _simulate(people, settings)
    per: dict[tuple[Channel, str], list[Event]] = defaultdict(list)
    for chunk in chunks:
        for address in chunk.addresses:
            per[chunk.channel, address].append(chunk.event)
    for (channel, _), events in per.items():
        if channel is Channel.SMS:
            assert events in ([Event.DELIVERED], [Event.BOUNCED])
        else:
            assert events[0] is Event.SUBMITTED and events.count(Event.SUBMITTED) == 1
            assert (Event.DELIVERED in events) != (Event.BOUNCED in events)
            if Event.BOUNCED in events:
                assert events == [Event.SUBMITTED, Event.BOUNCED]
            if Event.CLICKED in events:
                assert Event.OPENED in events
    bounced = sum(1 for (c, _), e in per.items() if c is Channel.EMAIL and Event.BOUNCED in e)
    assert bounced / len(people) == pytest.approx(settings.email.bounce, abs=0.01)
    assert simulator.sent == len(people)


def test_A1_A2_generated_lists_and_segments() -> None:
    document = fixtures_to_document(default_fixtures())
    segment = {"id": 9, "name": "S", "contacts": [1001]}
    generate = {"count": 3, "first_id": 1000, "email": "u{n}@x.org", "telephone": None}
    big = {"id": 9, "name": "Big", "contacts": [], "segments": [segment], "generate": generate}
    lists = document["lists"]
    assert isinstance(lists, list)
    lists.append(big)
    fixtures = fixtures_from_document(document)
    assert fixtures_to_document(fixtures) == document
    every = list(recipients(fixtures, 9, [], (Channel.EMAIL, Channel.SMS)))
    assert every == [("u1@x.org", None), ("u2@x.org", None), ("u3@x.org", None)]
    assert list(recipients(fixtures, 9, [9], (Channel.EMAIL,))) == [("u2@x.org", None)]
    assert list(recipients(fixtures, 9, [], (Channel.SMS,))) == []


#: Text around `{n}` in a generated list's pattern, braces (escaped) included.
_LITERALS = st.text(alphabet="ab+@.{}-", max_size=4).map(
    lambda text: text.replace("{", "{{").replace("}", "}}")
)
#: What fixtures allow after `n`: a conversion, a format spec (fixtures/document.py).
_FIELDS = st.sampled_from(["{n}", "{n:08d}", "{n:x}", "{n!r}", "{n!s:>6}", "{n:+}"])
_PATTERNS = st.builds(lambda a, f, b, g: a + f + b + g, _LITERALS, _FIELDS, _LITERALS,
                      st.sampled_from(["", "{n}"]))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    email=st.none() | _PATTERNS,
    telephone=st.none() | _PATTERNS,
    count=st.integers(0, 40),
    listed=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=4),
    members=st.none() | st.sets(st.integers(0, 150), max_size=30),
    payloads=st.sampled_from([(Channel.EMAIL,), (Channel.SMS,), (Channel.EMAIL, Channel.SMS)]),
)
def test_A1_A2_every_contact_of_a_list_in_order_whatever_its_patterns(
    email: str | None,
    telephone: str | None,
    count: int,
    listed: list[tuple[bool, bool]],
    members: set[int] | None,
    payloads: tuple[Channel, ...],
) -> None:
    """Listed contacts, then generated ones with `pattern.format(n=n)`, limited to the
    segment's members, each with the channels the campaign carries (A-1, A-2): the
    generated part is made by iterators in C, checked against the rule written plainly."""
    document = fixtures_to_document(default_fixtures())
    contacts = [
        {"id": 50 + i, "email": f"c{i}@x" if has_email else None,
         "telephone": f"+1{i}" if has_telephone else None}
        for i, (has_email, has_telephone) in enumerate(listed)
    ]  # fmt: skip
    first_id = 100
    generates = bool(count and (email or telephone))
    if members is not None:  # a segment names contacts of its list
        members &= {c["id"] for c in contacts} | set(range(first_id, first_id + count * generates))
    segments = [] if members is None else [{"id": 7, "name": "S", "contacts": sorted(members)}]
    generate = {"count": count, "first_id": first_id, "email": email, "telephone": telephone}
    big = {"id": 9, "name": "Big", "contacts": contacts, "segments": segments}
    if generates:
        big["generate"] = generate
    lists = document["lists"]
    assert isinstance(lists, list)
    lists.append(big)
    try:
        fixtures = fixtures_from_document(document)
    except FixturesError:  # a pattern fixtures refuse (the same text for every n)
        assume(False)
    expected: list[Recipient] = []
    wanted = (Channel.EMAIL in payloads, Channel.SMS in payloads)
    people = [(c["id"], c["email"], c["telephone"]) for c in contacts]
    if "generate" in big:
        people += [
            (first_id + n - 1,
             email.format(n=n) if email else None,
             telephone.format(n=n) if telephone else None)
            for n in range(1, count + 1)
        ]  # fmt: skip
    for ident, address, number in people:
        if members is not None and ident not in members:
            continue
        recipient = (address if wanted[0] else None, number if wanted[1] else None)
        if recipient != (None, None):
            expected.append(recipient)
    chosen = [] if members is None else [7]
    assert list(recipients(fixtures, 9, chosen, payloads)) == expected


def test_generated_ids_must_not_collide() -> None:
    fixtures = default_fixtures()
    clash = replace(fixtures.lists[2], generated=GeneratedContacts(5, 1, "u{n}@x"))
    document = fixtures_to_document(replace(fixtures, lists=(*fixtures.lists[:2], clash)))
    with pytest.raises(Exception, match="generated contact"):
        fixtures_from_document(document)
    assert isinstance(clash, ContactList)


def test_settings_refuse_what_the_contract_forbids() -> None:
    settings = SimulationSettings()
    with pytest.raises(InvalidError) as caught:
        settings.updated({"window": 301, "batch_size": 1001, "retry_window": 60, "nope": 1})
    assert set(caught.value.errors) == {"window", "batch_size", "retry_window", "nope"}
    assert (
        settings.updated({"faults": {"break_contract": True}, "retry_window": 60}).retry_window
        == 60
    )
    assert settings.updated({"email": {"open": 1}}).email.open == 1.0
    assert [settings.backoff(n) for n in (1, 2, 3, 10)] == [30, 60, 120, 900]
