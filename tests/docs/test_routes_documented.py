"""Every route the mock serves beyond the API is documented (issue 9: `GET /openapi.yaml` was
served but named nowhere): in docs/internals.md's control table, and the spec in the README."""

from __future__ import annotations

import re
from pathlib import Path

import requests
import yaml

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer

ROOT = Path(__file__).resolve().parents[2]


def _control_table() -> str:
    text = (ROOT / "docs" / "internals.md").read_text("utf-8")
    section = text.split("## Control API", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def _beyond_the_api() -> set[str]:
    api = set(yaml.safe_load((ROOT / "openapi.yaml").read_text("utf-8"))["paths"])
    found = set()
    for rule in create_app().url_map.iter_rules():
        path = re.sub(r"<[^>]*>", "<id>", rule.rule)
        if rule.endpoint != "static" and re.sub(r"<id>", "{id}", path) not in api:
            found.add(path)
    return found


def test_every_route_beyond_the_api_is_in_the_control_table() -> None:
    table = _control_table()
    routes = _beyond_the_api()
    assert "/openapi.yaml" in routes and "/_mock/reset" in routes
    missing = set()
    for route in routes:
        parts = route.split("/")
        family = "/".join(parts[:3])  # /_mock/clock covers /_mock/clock/advance
        if f"`{route}`" not in table and f" {route}`" not in table and f"`{family}`" not in table:
            missing.add(route)
    assert not missing, f"docs/internals.md's control table does not name {sorted(missing)}"


def test_the_readme_names_the_served_spec_and_it_is_served() -> None:
    assert "/openapi.yaml" in (ROOT / "README.md").read_text("utf-8")
    with MockServer(create_app(), port=0) as server:
        answer = requests.get(f"{server.url}/openapi.yaml", timeout=10)  # no credentials
    assert answer.status_code == 200
    assert answer.text == (ROOT / "openapi.yaml").read_text("utf-8")
