"""The world as plain data: campaign, fixtures, settings, clock and meta records, and back.

A shared store (store/) writes these records, never Python objects; docs/scaling.md, "What
the store holds", lists their fields. Reading one checks every field (`RecordError`).
"""

from __future__ import annotations

from campaign_mock.domain.clock import ClockState
from campaign_mock.domain.models import (
    Account,
    Actor,
    Campaign,
    Channel,
    Contact,
    ContactList,
    Domain,
    Fixtures,
    GeneratedContacts,
    Segment,
    State,
    Transition,
)
from campaign_mock.domain.reading import Fields, RecordError
from campaign_mock.domain.settings import settings_from_record, settings_to_record
from campaign_mock.domain.world import WorldMeta

# -- campaigns -------------------------------------------------------------------------


def campaign_to_record(campaign: Campaign) -> dict[str, object]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "domain": campaign.domain,
        "list": campaign.list,
        "segments": list(campaign.segments),
        "state": campaign.state.value,
        "when": campaign.when,
        "event_callback": campaign.event_callback,
        "payloads": [p.value for p in campaign.payloads],
        "error": campaign.error,
        "history": [[t.state.value, t.at, t.by.value] for t in campaign.history],
    }


def campaign_from_record(value: object, where: str = "campaign") -> Campaign:
    record = Fields(value, where)
    return Campaign(
        id=record.integer("id"),
        name=record.text("name"),
        domain=record.integer("domain"),
        list=record.integer("list"),
        segments=record.integers("segments"),
        state=record.choice("state", State),
        when=record.optional("when", record.integer),
        event_callback=record.optional("event_callback", record.text),
        payloads=record.choices("payloads", Channel),
        error=record.optional("error", record.text),
        history=[
            _transition(t, f"{where}.history[{i}]") for i, t in enumerate(record.items("history"))
        ],
    )


def _transition(value: object, where: str) -> Transition:
    if not isinstance(value, list) or len(value) != 3:
        raise RecordError(f"{where}: expected [state, at, by]")
    state = Fields({"state": value[0], "at": value[1], "by": value[2]}, where)
    return Transition(state.choice("state", State), state.number("at"), state.choice("by", Actor))


# -- fixtures --------------------------------------------------------------------------


def fixtures_to_record(fixtures: Fixtures) -> dict[str, object]:
    return {
        "accounts": [
            {"username": a.username, "password": a.password, "api_keys": list(a.api_keys)}
            for a in fixtures.accounts
        ],
        "domains": [
            {"id": d.id, "name": d.name, "is_sending": d.is_sending, "is_bouncing": d.is_bouncing}
            for d in fixtures.domains
        ],
        "lists": [_list_to_record(c) for c in fixtures.lists],
        "payloads": [p.value for p in fixtures.payloads],
    }


def _list_to_record(contact_list: ContactList) -> dict[str, object]:
    generated = contact_list.generated
    return {
        "id": contact_list.id,
        "name": contact_list.name,
        "contacts": [
            {"id": c.id, "email": c.email, "telephone": c.telephone} for c in contact_list.contacts
        ],
        "segments": [
            {"id": s.id, "name": s.name, "contact_ids": sorted(s.contact_ids)}
            for s in contact_list.segments
        ],
        "generated": None
        if generated is None
        else {
            "count": generated.count,
            "first_id": generated.first_id,
            "email": generated.email,
            "telephone": generated.telephone,
        },
    }


def fixtures_from_record(value: object, where: str = "fixtures") -> Fixtures:
    record = Fields(value, where)
    return Fixtures(
        accounts=tuple(
            Account(a.text("username"), a.text("password"), tuple(a.texts("api_keys")))
            for a in record.objects("accounts")
        ),
        domains=tuple(
            Domain(d.integer("id"), d.text("name"), d.flag("is_sending"), d.flag("is_bouncing"))
            for d in record.objects("domains")
        ),
        lists=tuple(_list_from_record(c) for c in record.objects("lists")),
        payloads=record.choices("payloads", Channel),
    )


def _list_from_record(record: Fields) -> ContactList:
    generated = record.optional("generated", record.obj)
    return ContactList(
        id=record.integer("id"),
        name=record.text("name"),
        contacts=tuple(
            Contact(
                c.integer("id"),
                c.optional("email", c.text),
                c.optional("telephone", c.text),
            )
            for c in record.objects("contacts")
        ),
        segments=tuple(
            Segment(s.integer("id"), s.text("name"), frozenset(s.integers("contact_ids")))
            for s in record.objects("segments")
        ),
        generated=None
        if generated is None
        else GeneratedContacts(
            count=generated.integer("count"),
            first_id=generated.integer("first_id"),
            email=generated.optional("email", generated.text),
            telephone=generated.optional("telephone", generated.text),
        ),
    )


# -- the clock and the world's meta -----------------------------------------------------


def clock_to_record(clock: ClockState) -> dict[str, object]:
    return {
        "frozen": clock.frozen,
        "speed": clock.speed,
        "real_anchor": clock.real_anchor,
        "mock_anchor": clock.mock_anchor,
    }


def clock_from_record(value: object, where: str = "clock") -> ClockState:
    record = Fields(value, where)
    return ClockState(
        frozen=record.flag("frozen"),
        speed=record.number("speed"),
        real_anchor=record.number("real_anchor"),
        mock_anchor=record.number("mock_anchor"),
    )


def meta_to_record(meta: WorldMeta) -> dict[str, object]:
    return {
        "next_id": meta.next_id,
        "fixtures": fixtures_to_record(meta.fixtures),
        "settings": settings_to_record(meta.settings),
    }


def meta_from_record(value: object, where: str = "meta") -> WorldMeta:
    record = Fields(value, where)
    return WorldMeta(
        next_id=record.integer("next_id"),
        fixtures=fixtures_from_record(record.value("fixtures"), f"{where}.fixtures"),
        settings=settings_from_record(record.value("settings"), f"{where}.settings"),
    )
