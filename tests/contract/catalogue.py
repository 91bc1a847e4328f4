"""Every module of broken variants in one list: importing one registers its variants. The kill
tests and the coverage table's test load the same list, so a new module is named once."""

from __future__ import annotations

import importlib

MODULES = (
    "variants",
    "callback_variants",
    "clause_variants_vrq",
    "clause_variants_meac",
    "cell_variants_vrq",
    "cell_variants_meac",
    "cell_variants_vrq2",
    "answer_variants_vrq2",
    "request_variants_vrq2",
    "partial_variants_vrq2",
    "reference_variants_vrq2",
    "envelope_variants_v3",
    "session_variants_v3",
    "cell_variants_q2",
    "cell_variants_round3",
)


def load() -> None:
    """Import every variant module (once: Python caches them), so each has registered."""
    for name in MODULES:
        importlib.import_module(f"{__package__}.{name}")
