"""Q-4's `name` limits in every cell: 1 and 255 characters valid, empty, blank and 256 invalid,
for POST and PUT in each body type, and the same answer when a refused request comes again."""

from __future__ import annotations

import json
from typing import Final
from urllib.parse import urlencode

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.formats import BOUNDARY, multipart
from campaign_contract.schema.target import base_json, create
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import FORM, JSON

METHODS: Final = ("POST", "PUT")
BODIES: Final = ("form", "multipart", "JSON")
REQUESTS: Final = ("first", "repeated")
MULTIPART: Final = f"multipart/form-data; boundary={BOUNDARY}"
#: The refused names, each with its clause.
REFUSED: Final = (
    ("Q-4.name-length-min", ""),
    ("Q-4.name-not-blank", " \t "),
    ("Q-4.name-length-max", "n" * 256),
)


def _encoded(t: Probe, method: str, body: str, name: str) -> tuple[bytes, str]:
    # A PUT sends the name alone (Q-5: partial), a POST with the other required fields.
    fields = {**base_json(t, "q4 name"), "name": name} if method == "POST" else {"name": name}
    if body == "JSON":
        return json.dumps(fields).encode(), JSON
    pairs = [(k, str(v)) for k, v in fields.items()]
    if body == "multipart":
        return multipart(pairs), MULTIPART
    return urlencode(pairs).encode(), FORM


def _send(t: Probe, method: str, path: str, payload: tuple[bytes, str]) -> Exchange:
    body, content_type = payload
    answer = t.request(method, path, body=body, headers={"Content-Type": content_type})
    t.ctx.note_created(answer)
    return answer


@check("Q-4")
def name_limits_in_every_cell(t: Probe) -> None:
    """`name` of 255 characters valid, empty, blank and 256 invalid: POST and PUT, form,
    multipart and JSON; each refused request sent twice, refused both times."""
    _created, ident = create(t, "q4 name target")
    paths = {"POST": "/campaign", "PUT": f"/campaign/{ident}" if ident is not None else None}
    if ident is None:
        for clause, _name in (*REFUSED, ("Q-4.name-255-ok", "")):
            t.cannot(clause, "no campaign could be created to PUT to", method="PUT")
    tag = t.ctx.run_tag
    longest = "n" * (254 - len(tag)) + " " + tag
    for method in METHODS:
        path = paths[method]
        if path is None:
            continue
        for body in BODIES:
            t.begin()
            answer = _send(t, method, path, _encoded(t, method, body, longest))
            t.exercised("Q-4.name-255-ok", method=method, body=body)
            what = f"{method} of a 255-character name ({body})"
            if answer.success() is not True:
                t.fail("Q-4", f"{what} is refused: {answer.describe()}", answer)
            elif answer.data().get("name") != longest:
                t.fail("Q-4", f"{what} comes back as {answer.data().get('name')!r}", answer)
            for clause, name in REFUSED:
                payload = _encoded(t, method, body, name)
                t.begin()
                for request in REQUESTS:
                    answer = _send(t, method, path, payload)
                    t.exercised(clause, method=method, body=body, request=request)
                    what = f"{method} of name={name[:8]!r}.. ({body}, {request} request)"
                    if t.expect(
                        answer.success() is False,
                        "Q-4",
                        f"{what} is accepted: {answer.describe()}",
                        answer,
                    ):
                        t.expect_code("Q-4", answer, "invalid")
