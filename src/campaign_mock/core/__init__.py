"""The core: `Mock`, one mock's worlds, clock, dispatcher and journals, and one method per
operation. Every door (HTTP, control API, dashboard, Python handle) calls it; it knows no
Flask, no store and no server."""

from campaign_mock.core.mock import Mock

__all__ = ["Mock"]
