"""Records to bytes and back: msgpack in a versioned envelope; never a pickle, never code.

Every value the mock writes to a store is `{"format": "campaign-mock", "version": 1,
"kind": KIND, "record": RECORD}` packed with msgpack (docs/scaling.md, "What the store
holds"). Reading checks the envelope, then the record's fields; anything else (a pickle
from an older campaign-mock, an unknown version, a record of another kind, bytes that are
no record) raises `StoreFormatError`, one line naming where it was found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgpack

from campaign_mock.domain.reading import RecordError
from campaign_mock.store.base import StoreUrlError

T = TypeVar("T")

FORMAT = "campaign-mock"
#: The version of every record this campaign-mock writes, and the only one it reads.
VERSION = 1
#: The kinds of record a store holds.
KINDS = ("campaign", "meta", "clock", "checkpoint", "command", "answer")
#: How a pickle begins (protocol 2 and later): what stores written before VERSION 1 hold.
PICKLE_START = b"\x80"


class StoreFormatError(StoreUrlError):
    """A value in the store that is not a record this campaign-mock reads; one line."""


def encode(kind: str, record: object) -> bytes:
    """`record` (plain data: dict with str keys, list, str, int, float, bool, bytes, None)
    in its envelope."""
    envelope = {"format": FORMAT, "version": VERSION, "kind": kind, "record": record}
    packed: bytes = msgpack.packb(envelope, use_bin_type=True)
    return packed


def decode(kind: str, data: bytes, where: str, fresh: str) -> object:
    """The record of kind `kind` in `data`; `where` names the key or row, `fresh` says how
    to start afresh. Nothing in `data` is ever executed."""
    if data[:1] == PICKLE_START:
        raise StoreFormatError(
            f"{where} holds a pickle, as written by an older campaign-mock (before record format "
            f"{VERSION}); it is never loaded. To start fresh, {fresh}"
        )
    try:
        envelope = msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True)
    except Exception as error:  # any malformed input, whichever way msgpack says so
        raise StoreFormatError(
            f"{where} is not a campaign-mock record ({type(error).__name__}: {error}); "
            f"to start fresh, {fresh}"
        ) from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise StoreFormatError(
            f"{where} is not a campaign-mock record (no format envelope); to start fresh, {fresh}"
        )
    version = envelope.get("version")
    if version != VERSION:
        raise StoreFormatError(
            f"{where} has record format version {version!r}; this campaign-mock reads version "
            f"{VERSION} only. Use the campaign-mock that wrote it, or to start fresh, {fresh}"
        )
    if envelope.get("kind") != kind:
        raise StoreFormatError(
            f"{where} holds a {envelope.get('kind')!r} record where a {kind!r} belongs; "
            f"to start fresh, {fresh}"
        )
    return envelope.get("record")


def read(kind: str, data: bytes, reader: Callable[[object, str], T], where: str, fresh: str) -> T:
    """`decode`, then `reader(record, kind)` builds the domain object; a field that is not
    what the kind says is a `StoreFormatError` too."""
    record = decode(kind, data, where, fresh)
    try:
        return reader(record, kind)
    except RecordError as error:
        raise StoreFormatError(f"{where}: {error}; to start fresh, {fresh}") from None
