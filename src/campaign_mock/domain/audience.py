"""Who a campaign sends to (A-1) and on which channels (A-2), yielded lazily in list order."""

from __future__ import annotations

from collections.abc import Iterator

from campaign_mock.domain.models import Channel, ContactList, Fixtures

#: One contact's messages: its email address and telephone, None where no message goes.
Recipient = tuple[str | None, str | None]


def recipients(
    fixtures: Fixtures, list_id: int, segments: list[int], payloads: tuple[Channel, ...]
) -> Iterator[Recipient]:
    """A-1: the list's contacts, limited to the union of `segments` when there are any.

    A-2: a contact gets an Email message if the campaign carries Email and the contact has an
    email address, likewise SMS and telephone; contacts with no message are skipped. Lazy, so
    a list of millions is walked a chunk at a time.
    """
    contact_list = fixtures.contact_list(list_id)
    if contact_list is None:
        return iter(())
    members: set[int] | None = None
    if segments:
        members = set()
        for segment in contact_list.segments:
            if segment.id in segments:
                members |= segment.contact_ids
    return _walk(contact_list, members, Channel.EMAIL in payloads, Channel.SMS in payloads)


def _walk(
    contact_list: ContactList, members: set[int] | None, email: bool, sms: bool
) -> Iterator[Recipient]:
    for contact in contact_list.contacts:
        if members is not None and contact.id not in members:
            continue
        address = contact.email if email else None
        telephone = contact.telephone if sms else None
        if address or telephone:
            yield address, telephone
    generated = contact_list.generated
    if generated is None:
        return
    email_pattern = generated.email if email else None
    telephone_pattern = generated.telephone if sms else None
    if email_pattern is None and telephone_pattern is None:
        return
    first = generated.first_id
    for n in range(1, generated.count + 1):
        if members is not None and first + n - 1 not in members:
            continue
        yield (
            email_pattern.format(n=n) if email_pattern else None,
            telephone_pattern.format(n=n) if telephone_pattern else None,
        )
