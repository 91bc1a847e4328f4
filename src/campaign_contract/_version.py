"""The suite's version, in a module of its own so the engine can name it without a cycle."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("campaign-kit")
except metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0+src"
