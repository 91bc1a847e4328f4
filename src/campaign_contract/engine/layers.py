"""The layers of checks; importing a layer registers its checks in the default registry."""

from __future__ import annotations

import importlib
from typing import Final

#: In run order. Each is a module (or package) of campaign_contract whose import
#: registers its checks with `@check`.
LAYERS: Final = ("robustness", "schema", "stateful", "callbacks")


def load_layers() -> tuple[str, ...]:
    """Import every layer; returns their names."""
    for name in LAYERS:
        importlib.import_module(f"campaign_contract.{name}")
    return LAYERS
