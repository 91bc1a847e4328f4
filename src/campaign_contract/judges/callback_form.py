"""Reading one callback body as C-2 describes it, noting every way it departs from C-2."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import unquote_plus

#: C-2p: at most this many addresses in one request.
MAX_ADDRESSES = 1000
#: C-2's address keys, and the payload (A-2) each one reports on.
CHANNEL_OF_KEY = {"email": "email", "telephone": "sms"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_ADDRESS_KEY = re.compile(r"(email|telephone)\[(.*)\]", re.DOTALL)
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")
_DIGITS = re.compile(r"[0-9]{1,12}")


@dataclass(slots=True)
class CallbackForm:
    """What one callback reports, as far as it can be read, and what is wrong with it."""

    event: str | None = None
    when: int | None = None
    #: Addresses by payload (`email`, `sms`), in index order.
    addresses: dict[str, list[str]] = field(default_factory=dict)
    #: Every distinct `event` value (more than one breaks C-2p).
    events: list[str] = field(default_factory=list)
    #: C-2 (seed) problems, then C-2p (profile) ones.
    problems: list[str] = field(default_factory=list)
    profile_problems: list[str] = field(default_factory=list)

    @property
    def channel(self) -> str | None:
        """The payload of the request when it names exactly one."""
        return next(iter(self.addresses)) if len(self.addresses) == 1 else None

    @property
    def size(self) -> int:
        return sum(len(a) for a in self.addresses.values())

    def reports(self) -> list[tuple[str, str, str]]:
        """(channel, address, event) for every address, whichever event and channel it has."""
        if not self.event:
            return []
        return [(c, a, self.event) for c, found in self.addresses.items() for a in found]


def _fields(content_type: str, body: bytes, form: CallbackForm) -> list[tuple[str, str]] | None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in FORM_TYPES:
        form.problems.append(
            f"the body is not form-encoded (Content-Type: {content_type or 'none'})"
        )
        return None
    if media == "multipart/form-data":
        return _multipart(content_type, body, form)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        form.problems.append("the form body has bytes that are not ASCII (not percent-encoded)")
        text = body.decode("utf-8", "replace")
    pairs = []
    for piece in text.split("&"):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        if not sep:
            form.problems.append(f"form field {key[:40]!r} has no '='")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _multipart(content_type: str, body: bytes, form: CallbackForm) -> list[tuple[str, str]] | None:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        form.problems.append("the multipart body cannot be parsed")
        return None
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            form.problems.append("a multipart part has no field name")
            continue
        pairs.append((name, payload.decode("utf-8", "replace")))
    return pairs


def parse_callback(content_type: str, body: bytes) -> CallbackForm:
    """Read `event`, `when` and `email[N]`/`telephone[N]`; problems are collected, never raised."""
    form = CallbackForm()
    if not body:
        form.problems.append("the body is empty")
        return form
    pairs = _fields(content_type, body, form)
    if pairs is None:
        return form
    events = [v for k, v in pairs if k == "event"]
    whens = [v for k, v in pairs if k == "when"]
    form.events = list(dict.fromkeys(events))
    if not events or not events[0]:
        form.problems.append("there is no `event`")
    else:
        form.event = events[0]
        if len(form.events) > 1:
            form.profile_problems.append(f"one request reports several event types: {form.events}")
        elif len(events) > 1:
            form.problems.append("`event` is given more than once")
    if not whens:
        form.problems.append("there is no `when`")
    elif not _DIGITS.fullmatch(whens[0]):
        form.problems.append(f"`when` is not an integer Unix time: {whens[0][:40]!r}")
    else:
        form.when = int(whens[0])
        if len(whens) > 1:
            form.problems.append("`when` is given more than once")
    _addresses(pairs, form)
    return form


def _addresses(pairs: list[tuple[str, str]], form: CallbackForm) -> None:
    indexed: dict[str, dict[int, str]] = {}
    for key, value in pairs:
        if not key.startswith(("email", "telephone")):
            continue  # other fields are not C-2's business
        match = _ADDRESS_KEY.fullmatch(key)
        if match is None or not _INDEX.fullmatch(match.group(2)):
            form.problems.append(f"{key[:40]!r} is not `email[N]` or `telephone[N]`")
            continue
        name, index = match.group(1), int(match.group(2))
        found = indexed.setdefault(name, {})
        if index in found:
            form.problems.append(f"{name}[{index}] is given more than once")
            continue
        if not value.strip():
            form.problems.append(f"{name}[{index}] is empty")
        found[index] = value
    if not indexed:
        form.problems.append("there is no `email[N]` or `telephone[N]`")
    if len(indexed) > 1:
        form.profile_problems.append("one request reports both email and telephone addresses")
    for name, found in indexed.items():
        order = sorted(found)
        if order != list(range(len(order))):
            shown = ", ".join(f"{name}[{i}]" for i in order[:5])
            form.profile_problems.append(f"indexes do not run from 0 without gaps: {shown}")
        form.addresses[CHANNEL_OF_KEY[name]] = [found[i] for i in order]
    if form.size > MAX_ADDRESSES:
        form.profile_problems.append(f"{form.size} addresses in one request (at most 1000)")
