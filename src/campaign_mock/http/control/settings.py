"""`/_mock/settings` and `/_mock/faults`: the simulation's settings, the mock's for every world."""

from __future__ import annotations

from flask import Blueprint, Response

from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.http.context import mock
from campaign_mock.http.control.reading import json_object
from campaign_mock.http.envelope import success

blueprint = Blueprint("settings", __name__, url_prefix="/_mock")


@blueprint.get("/settings")
def get_settings() -> Response:
    return success(mock().settings.to_wire())


@blueprint.put("/settings")
def put_settings() -> Response:
    """A partial update; nested objects (`email`, `delays`, `faults`...) may be partial."""
    return success(mock().configure(json_object()).to_wire())


@blueprint.get("/faults")
def get_faults() -> Response:
    return success(_faults(mock().settings))


@blueprint.put("/faults")
def put_faults() -> Response:
    """Callback-side faults (opt-in): `duplicate_rate`, `reorder`, `extra_delay`,
    `break_contract`; a partial update."""
    return success(_faults(mock().configure_faults(json_object())))


def _faults(settings: SimulationSettings) -> dict[str, object]:
    faults = settings.to_wire()["faults"]
    assert isinstance(faults, dict)
    return faults
