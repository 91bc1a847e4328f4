"""Errors the backend raises, each carrying its wire code (CONTRACT.md V-3)."""

from __future__ import annotations


class CampaignError(Exception):
    """An application-level failure: HTTP 200 with `success: false` (V-3)."""

    code = "invalid"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, list[str]] = errors or {}


class InvalidError(CampaignError):
    """A field is missing, of the wrong type or out of range."""

    code = "invalid"

    @classmethod
    def from_fields(cls, errors: dict[str, list[str]]) -> InvalidError:
        """Builds the error whose text names every offending field."""
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        return cls(f"Invalid parameters: {text}", errors)


class UnresolvedReferenceError(CampaignError):
    """A domain, list or segment id that does not resolve (Q-6)."""

    code = "reference"


class ConflictError(CampaignError):
    """A state-machine violation (M-2, M-5)."""

    code = "conflict"


class NotFoundError(CampaignError):
    """No campaign with that id, or it was deleted (V-4 step 4)."""

    code = "not_found"


class FixturesError(ValueError):
    """A fixtures document that cannot be loaded; the message names the problem."""
