"""The campaign resource: parse, call one backend method, serialize (R-1, R-3)."""

from __future__ import annotations

from flask import Blueprint, Response, g

from campaign_mock.domain.params import CAMPAIGN_FIELDS, parse_create, parse_update
from campaign_mock.http.envelope import success
from campaign_mock.http.world import world

blueprint = Blueprint("campaign", __name__)


@blueprint.post("/campaign", strict_slashes=False)
def create_campaign() -> Response:
    fields = parse_create(g.params.values, g.params.errors_for(CAMPAIGN_FIELDS))
    return success(world().create_campaign(fields).to_wire())


@blueprint.get("/campaign/<positive_int:ident>", strict_slashes=False)
def get_campaign(ident: int) -> Response:
    return success(world().get_campaign(ident).to_wire())


@blueprint.put("/campaign/<positive_int:ident>", strict_slashes=False)
def update_campaign(ident: int) -> Response:
    world().get_campaign(ident)  # V-4 step 4: a 404 comes before any field error
    fields = parse_update(g.params.values, g.params.errors_for(CAMPAIGN_FIELDS))
    return success(world().update_campaign(ident, fields).to_wire())


@blueprint.delete("/campaign/<positive_int:ident>", strict_slashes=False)
def delete_campaign(ident: int) -> Response:
    return success(world().delete_campaign(ident).to_wire())
