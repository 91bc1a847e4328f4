"""Boundaries of Q-4 and Q-6 the other targeted checks leave out: `name`'s 255 counts
characters, not bytes; every segment, not only the first, must be within the list."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.schema.target import (
    base_form,
    base_json,
    create,
    foreign_segment,
    segment_ids,
)


@check("Q-4")
def name_length_counts_characters(t: Probe) -> None:
    """A name of 255 characters is valid when each takes two bytes in UTF-8, in POST and PUT,
    in every body type."""
    tag = t.ctx.run_tag
    name = "é" * (254 - len(tag)) + " " + tag
    _made, ident = create(t, "q4 bytes target")
    for method in ("POST", "PUT"):
        if method == "PUT" and ident is None:
            t.cannot(CHARACTERS, "no DRAFT campaign could be created to PUT to", method="PUT")
            continue
        for body in BODIES:
            t.begin()
            if method == "POST":
                answer = send(t, "POST", "/campaign", {**base_json(t, "q4"), "name": name}, body)
            else:
                answer = send(t, "PUT", f"/campaign/{ident}", {"name": name}, body)
            what = f"a {body} {method} of a name of 255 characters ({len(name.encode())} bytes)"
            if answer.success() is not True:
                t.fail("Q-4", f"{what} is refused: {answer.describe()}", answer)
            elif answer.data().get("name") != name:
                t.fail("Q-4", f"{what}: it comes back as {answer.data().get('name')!r}", answer)
            t.exercised(CHARACTERS, method=method, body=body)


CHARACTERS = "Q-4.name-counts-characters"


@check("Q-6s")
def each_segment_must_be_in_the_list(t: Probe) -> None:
    """A segment of the list followed by one outside it is still a `reference` failure."""
    own = segment_ids(t)
    if not own:
        t.skip("the first test list has no segments (config lists[0].segments)")
    stray = foreign_segment(t)
    fields = [*base_form(t, "q6 each"), ("segments[]", str(own[0])), ("segments[]", str(stray))]
    answer = t.post("/campaign", form=fields)
    if t.expect(
        answer.success() is False,
        "Q-6s",
        f"segments {own[0]} and {stray} (outside the list) are accepted: {answer.describe()}",
        answer,
    ):
        t.expect_code("Q-6s", answer, "reference")
