"""The openapi.yaml shipped with the suite, and its hash for reports."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path


def openapi_path() -> Path:
    return Path(str(resources.files("campaign_contract").joinpath("openapi.yaml")))


def openapi_sha256() -> str | None:
    """sha256 of openapi.yaml, or None when the file is missing."""
    try:
        return hashlib.sha256(openapi_path().read_bytes()).hexdigest()
    except OSError:
        return None
