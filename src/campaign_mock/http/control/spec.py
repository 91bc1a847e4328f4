"""`GET /openapi.yaml`: the normative description the mock implements, like Prism's and
WireMock's own endpoints; outside `/_mock/`, for anyone."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response

blueprint = Blueprint("spec", __name__)


@blueprint.get("/openapi.yaml")
def openapi_document() -> Response:
    text = resources.files("campaign_mock").joinpath("openapi.yaml").read_text("utf-8")
    return Response(text, mimetype="application/yaml")
