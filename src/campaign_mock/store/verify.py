"""Before serving on a store: every record in it reads back, or one line says which not.

`open_store` runs this, so `serve` refuses a store holding a pickle of an older
campaign-mock, a record of an unknown version or anything planted (exit 6) before it
serves a request; the same checks guard every later read (a 503, or a logged line).
"""

from __future__ import annotations

from campaign_mock.domain.simulation import read_checkpoint
from campaign_mock.store.base import StateStore
from campaign_mock.store.codec import read


def verify_records(store: StateStore) -> None:
    """Reads the world (campaigns, meta, clock) and the sends' checkpoint back; raises
    `StoreFormatError` for the first value that is not a record of this format."""
    store.changes(0)  # the stores read every record they return
    saved = store.load_checkpoint()
    if saved is not None:
        read("checkpoint", saved[1], read_checkpoint, store.where("checkpoint"), store.fresh)
