"""Where the mock keeps its state: in memory (the default) or in a store several instances
share (`--state sqlite:///path` or `--state redis://host:port/0`)."""

from __future__ import annotations

from campaign_mock.store.base import STORE_TIMEOUT, StateStore, StoreUrlError
from campaign_mock.store.url import MEMORY, open_store, store_errors

__all__ = ["MEMORY", "STORE_TIMEOUT", "StateStore", "StoreUrlError", "open_store", "store_errors"]
