"""campaign-contract: judges any server against the Campaign API contract, rule by rule."""

from __future__ import annotations

from campaign_contract._version import __version__
from campaign_contract.config.model import Config, ConfigError, load_config
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

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
