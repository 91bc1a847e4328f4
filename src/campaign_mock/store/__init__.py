"""Where the mock keeps its state: in memory (the default) or in a store several instances
share (`--state sqlite:///path` or `--state redis://host:port/0`)."""

from __future__ import annotations

from campaign_mock.store.base import StateStore, StoreUrlError
from campaign_mock.store.url import MEMORY, open_store, store_errors

__all__ = ["MEMORY", "StateStore", "StoreUrlError", "open_store", "store_errors"]
