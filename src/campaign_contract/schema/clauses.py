"""Boundaries of Q-2, Q-4 and Q-6 the other targeted checks leave out: the last second of year
9999 and second 0 are valid `when`s; `name`'s 255 counts characters, not bytes; every segment,
not only the first, must be within the list."""

from __future__ import annotations

from typing import Any

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.target import base_form, base_json, foreign_segment, segment_ids
from campaign_contract.schema.when import LATEST

#: Each `when` is valid and names this second (Q-2p: years up to 9999, never negative).
BOUNDARY_WHENS: tuple[tuple[Any, int], ...] = (
    (str(LATEST), LATEST),
    (LATEST, LATEST),
    ("9999-12-31T23:59:59Z", LATEST),
    ("0", 0),
)


@check("Q-2p")
def when_boundaries(t: Probe) -> None:
    """`when` at the edges of what Q-2 allows (9999-12-31T23:59:59Z, second 0) is accepted."""
    for value, second in BOUNDARY_WHENS:
        t.begin()
        if isinstance(value, int):
            answer = t.post("/campaign", json=base_json(t, "q2 edge", when=value))
        else:
            answer = t.post("/campaign", form=base_form(t, "q2 edge", when=value))
        if answer.success() is not True:
            t.fail("Q-2p", f"when={value!r} is refused: {answer.describe()}", answer)
        elif answer.data().get("when") != second:
            t.fail("Q-2p", f"when={value!r} is stored as {answer.data().get('when')!r}", answer)


@check("Q-4")
def name_length_counts_characters(t: Probe) -> None:
    """A name of 255 characters is valid when each takes two bytes in UTF-8."""
    tag = t.ctx.run_tag
    name = "é" * (254 - len(tag)) + " " + tag
    fields = [(k, name if k == "name" else v) for k, v in base_form(t, "q4")]
    answer = t.post("/campaign", form=fields)
    if answer.success() is not True:
        t.fail("Q-4", f"a name of 255 characters ({len(name.encode())} bytes) is refused", answer)
    elif answer.data().get("name") != name:
        t.fail("Q-4", f"the 255-character name comes back as {answer.data().get('name')!r}", answer)


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
