"""campaign-contract: judges any server against the Campaign API contract, rule by rule."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("campaign-kit")
except metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0+src"

from campaign_contract.config import Config, ConfigError, load_config
from campaign_contract.outcome import Status
from campaign_contract.probe import Probe
from campaign_contract.registry import check
from campaign_contract.runner import run_selection
from campaign_contract.selection import Selection

__all__ = [
    "Config",
    "ConfigError",
    "Probe",
    "Selection",
    "Status",
    "__version__",
    "check",
    "load_config",
    "run_selection",
]
