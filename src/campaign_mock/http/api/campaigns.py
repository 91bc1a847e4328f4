"""The campaign resource: parse, call one operation of the core, serialize (R-1, R-3)."""

from __future__ import annotations

from flask import Blueprint, Response

from campaign_mock.domain.params import CAMPAIGN_FIELDS, parse_create, parse_update
from campaign_mock.http.context import caller
from campaign_mock.http.envelope import success

blueprint = Blueprint("campaign", __name__)


@blueprint.post("/campaign", strict_slashes=False)
def create_campaign() -> Response:
    core, account, params = caller()
    fields = parse_create(params.values, params.errors_for(CAMPAIGN_FIELDS))
    return success(core.create_campaign(account, fields).to_wire())


@blueprint.get("/campaign/<positive_int:ident>", strict_slashes=False)
def get_campaign(ident: int) -> Response:
    core, account, _ = caller()
    return success(core.get_campaign(account, ident).to_wire())


@blueprint.put("/campaign/<positive_int:ident>", strict_slashes=False)
def update_campaign(ident: int) -> Response:
    core, account, params = caller()
    core.get_campaign(account, ident)  # V-4 step 4: a 404 comes before any field error
    fields = parse_update(params.values, params.errors_for(CAMPAIGN_FIELDS))
    return success(core.update_campaign(account, ident, fields).to_wire())


@blueprint.delete("/campaign/<positive_int:ident>", strict_slashes=False)
def delete_campaign(ident: int) -> Response:
    core, account, _ = caller()
    return success(core.delete_campaign(account, ident).to_wire())
