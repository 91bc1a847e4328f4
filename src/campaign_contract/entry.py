"""`campaign-contract`'s entry point: the suite's dependencies come with an extra.

A base install of campaign-kit serves the mock only; without the `contract` extra the suite
would die on its first import with a traceback. This names the extra on one line instead,
after the help when help is all that was asked for.
"""

from __future__ import annotations

import importlib.util
import sys

#: What the suite imports beyond the base install: the `contract` extra in pyproject.toml.
CONTRACT_EXTRA = ("schemathesis", "hypothesis", "jsonschema", "h11")
#: A usage error, as the CLI's own (`campaign-contract --help` says what the codes mean).
EXIT_MISSING_EXTRA = 2


def missing_modules() -> list[str]:
    """The suite's dependencies that cannot be imported here."""
    return [name for name in CONTRACT_EXTRA if importlib.util.find_spec(name) is None]


#: Arguments that only print (help, version): they work without the extra, the hint below.
ASKS_TO_PRINT = frozenset({"-h", "--help", "--version"})


def main() -> None:
    missing = missing_modules()
    hint = (
        f"campaign-contract: {', '.join(missing)} not installed; the suite needs the "
        "'contract' extra: pip install 'campaign-kit[contract]' (from a checkout: "
        "pip install '.[contract]')\n"
    )
    if missing and not ASKS_TO_PRINT & set(sys.argv[1:]):
        sys.stderr.write(hint)
        raise SystemExit(EXIT_MISSING_EXTRA)
    # The command line imports none of the extra: its help needs click alone.
    from .cli import main as run

    try:
        run()
    finally:
        if missing:
            sys.stdout.flush()
            sys.stderr.write(hint)
