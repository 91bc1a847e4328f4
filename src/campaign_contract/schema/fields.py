"""Targeted checks of fields: required and limits (Q-4), partial PUT (Q-5), references (Q-6)."""

from __future__ import annotations

from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.schema.target import (
    FUTURE,
    UNKNOWN_ID,
    base_form,
    base_json,
    create,
    foreign_segment,
    segment_ids,
)
from campaign_contract.transport.exchange import Exchange


def _refused(t: Probe, rule: str, answer: Exchange, code: str, what: str) -> None:
    t.ctx.note_created(answer)
    if t.expect(
        answer.success() is False, rule, f"{what} is accepted: {answer.describe()}", answer
    ):
        t.expect_code(rule, answer, code)


def _accepted(t: Probe, rule: str, answer: Exchange, what: str) -> dict[str, Any] | None:
    t.ctx.note_created(answer)
    if answer.success() is True:
        return answer.data()
    t.fail(rule, f"{what} is refused: {answer.describe()}", answer)
    return None


def _without(fields: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in fields if k != name]


def _replace(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [*_without(fields, name), (name, value)]


#: Per clause, `event_callback` values one past the rule (each invalid) or at its edge (valid).
CALLBACKS_INVALID: Final = {
    "Q-4.callback-http-or-https-only": ("ftp://hooks.example/cb",),
    "Q-4.callback-absolute": ("/relative/cb", "hooks.example/cb"),
    "Q-4.callback-length-max": ("https://hooks.example/" + "x" * 2027,),  # 2049 characters
}
CALLBACKS_VALID: Final = {
    "Q-4.callback-http-accepted": ("http://hooks.example/cb?k=v",),
    "Q-4.callback-2048-ok": ("https://hooks.example/" + "x" * 2026,),  # 2048 characters
}


@check("Q-4")
def required_fields_and_limits(t: Probe) -> None:
    """name, domain, list required and state DRAFT by default, in every body type; name 1-255
    and not blank; `event_callback` an absolute http(s) URL of at most 2048 characters, in
    POST and PUT and every body type."""
    base = base_json(t, "q4")
    for body in BODIES:
        for name in ("name", "domain", "list"):
            t.begin()
            fields = {k: v for k, v in base.items() if k != name}
            answer = send(t, "POST", "/campaign", fields, body)
            t.expect_refused("Q-4", answer, "invalid", f"a {body} POST without {name}")
            t.exercised(f"Q-4.{name}-required", body=body)
        t.begin()
        fields = {k: v for k, v in base.items() if k != "state"}
        data = _accepted(t, "Q-4", send(t, "POST", "/campaign", fields, body), "no state")
        if data is not None and data.get("state") != "DRAFT":
            t.fail("Q-4", f"state defaults to {data.get('state')!r}, not DRAFT", t.exchanges[-1])
        t.exercised("Q-4.state-defaults-to-draft", body=body)
    _name_limits(t)
    _callbacks(t, base)


def _name_limits(t: Probe) -> None:
    base = base_form(t, "q4")
    for label, value in (("empty", ""), ("blank", " \t "), ("256 characters", "n" * 256)):
        t.begin()
        _refused(
            t,
            "Q-4",
            t.post("/campaign", form=_replace(base, "name", value)),
            "invalid",
            f"a {label} name",
        )
    t.begin()
    longest = "n" * (254 - len(t.ctx.run_tag)) + " " + t.ctx.run_tag
    _accepted(t, "Q-4", t.post("/campaign", form=_replace(base, "name", longest)), "a 255 name")


def _callbacks(t: Probe, base: dict[str, Any]) -> None:
    """Each `event_callback` clause on POST and on PUT to a DRAFT campaign, every body type."""
    _made, ident = create(t, "q4 callback target")
    for body in BODIES:
        for method in ("POST", "PUT"):
            if method == "PUT" and ident is None:
                for clause in (*CALLBACKS_INVALID, *CALLBACKS_VALID):
                    t.cannot(clause, "no DRAFT campaign could be created to PUT to", method="PUT")
                continue
            path = "/campaign" if method == "POST" else f"/campaign/{ident}"
            extra = base if method == "POST" else {}
            for clause, urls in CALLBACKS_INVALID.items():
                for url in urls:
                    t.begin()
                    answer = send(t, method, path, {**extra, "event_callback": url}, body)
                    what = f"a {body} {method} of event_callback={url[:40]!r}"
                    t.expect_refused("Q-4", answer, "invalid", what)
                t.exercised(clause, method=method, body=body)
            for clause, urls in CALLBACKS_VALID.items():
                for url in urls:
                    t.begin()
                    answer = send(t, method, path, {**extra, "event_callback": url}, body)
                    what = f"a {body} {method} of an event_callback of {len(url)} characters"
                    data = _accepted(t, "Q-4", answer, what)
                    if data is not None and data.get("event_callback") != url:
                        t.fail("Q-4", f"{what}: it comes back as "
                               f"{data.get('event_callback')!r}", answer)  # fmt: skip
                t.exercised(clause, method=method, body=body)


def _expect_fields(t: Probe, rule: str, answer: Exchange, want: dict[str, Any]) -> None:
    if answer.success() is not True:
        t.fail(rule, f"the PUT is refused: {answer.describe()}", answer)
        return
    data = answer.data()
    for name, value in want.items():
        if data.get(name) != value:
            t.fail(
                rule, f"after the PUT `{name}` is {data.get(name)!r}, expected {value!r}", answer
            )


@check("Q-5", "Q-5p")
def partial_put(t: Probe) -> None:
    """PUT keeps what it does not send, has no `list`, and clears with empty values."""
    own = segment_ids(t)
    callback = "https://hooks.example/cb?k=v"
    extra = {"when": str(FUTURE), "event_callback": callback}
    fields = base_form(t, "q5", **extra) + [("segments[]", str(s)) for s in own[:1]]
    created = t.ctx.create_campaign("q5", fields)
    if created.success() is not True:
        t.skip(f"no campaign could be created: {created.describe()}")
    before = created.data()
    path = f"/campaign/{before['id']}"
    renamed = t.ctx.campaign_name("q5 renamed")
    answer = t.put(path, form={"name": renamed})
    kept = {k: before[k] for k in ("domain", "list", "segments", "state", "when", "event_callback")}
    _expect_fields(t, "Q-5p", answer, {"name": renamed, **kept})
    t.begin()
    other_list = next((c.id for c in t.ctx.config.lists[1:]), UNKNOWN_ID)
    answer = t.put(path, form={"list": str(other_list)})
    if answer.success() is True:
        t.expect(
            answer.data().get("list") == before["list"],
            "Q-5",
            f"a PUT changes the list: {answer.describe()}",
            answer,
        )
    _refused(t, "Q-5p", answer, "invalid", "`list` in a PUT")
    t.begin()
    answer = t.put(path, form={"event_callback": "", "segments[]": "", "when": ""})
    _expect_fields(t, "Q-5p", answer, {"event_callback": None, "segments": [], "when": None})
    t.begin()
    restore = {"event_callback": callback, "segments": own[:1], "when": FUTURE}
    _expect_fields(t, "Q-5p", t.put(path, json=restore), restore)
    answer = t.put(path, json={"event_callback": None, "segments": [], "when": None})
    _expect_fields(t, "Q-5p", answer, {"event_callback": None, "segments": [], "when": None})
    t.exercised("Q-5.null-when-clears")
    _json_clears(t, path, "DRAFT")
    t.begin()
    scheduled = t.put(path, json={"state": "SCHEDULED", "when": FUTURE})
    _expect_fields(t, "Q-5p", scheduled, {"state": "SCHEDULED"})
    if scheduled.success() is True:
        _refused(
            t,
            "Q-5p",
            t.put(path, form={"when": ""}),
            "invalid",
            "clearing `when` of a SCHEDULED campaign",
        )
    for state in ("SCHEDULED", "READY"):
        t.begin()
        moved = t.put(path, json={"state": state, "when": FUTURE})
        if moved.success() is not True or moved.data().get("state") != state:
            why = f"the campaign could not be moved to {state}: {moved.describe()}"
            for clause in JSON_CLEARS:
                t.cannot(clause, why, state=state)
            continue
        _json_clears(t, path, state)


#: Q-5's JSON clearing clauses that hold wherever a PUT is allowed (M-5: DRAFT, SCHEDULED,
#: READY); clearing `when` is for DRAFT alone (M-3), judged above.
JSON_CLEARS: Final = ("Q-5.null-callback-clears", "Q-5.empty-json-segments-clear")


def _json_clears(t: Probe, path: str, state: str) -> None:
    """In this state, JSON `null` clears `event_callback` and `[]` clears `segments`."""
    own = segment_ids(t)
    restore = {"event_callback": "https://hooks.example/cb?k=v", "segments": own[:1]}
    t.begin()
    _expect_fields(t, "Q-5p", t.put(path, json=restore), restore)
    answer = t.put(path, json={"event_callback": None, "segments": []})
    _expect_fields(t, "Q-5p", answer, {"event_callback": None, "segments": [], "state": state})
    t.exercised("Q-5.null-callback-clears", state=state)
    if own:
        t.exercised("Q-5.empty-json-segments-clear", state=state)
    else:
        t.cannot("Q-5.empty-json-segments-clear", "the first test list has no segments",
                 state=state)  # fmt: skip


@check("Q-6", "Q-6s")
def references_must_resolve(t: Probe) -> None:
    """A non-bouncing or unknown domain, an unknown list, a segment outside the list: reference."""
    config = t.ctx.config
    base = base_form(t, "q6")
    if config.domains.non_bouncing is not None:
        answer = t.post(
            "/campaign", form=_replace(base, "domain", str(config.domains.non_bouncing))
        )
        _refused(t, "Q-6", answer, "reference", "a domain that is not bouncing")
    t.begin()
    _refused(
        t,
        "Q-6",
        t.post("/campaign", form=_replace(base, "domain", str(UNKNOWN_ID))),
        "reference",
        "an unknown domain",
    )
    t.begin()
    _refused(
        t,
        "Q-6s",
        t.post("/campaign", form=_replace(base, "list", str(UNKNOWN_ID))),
        "reference",
        "an unknown list",
    )
    stray = foreign_segment(t)
    t.begin()
    answer = t.post("/campaign", form=[*base, ("segments[]", str(stray))])
    _refused(t, "Q-6s", answer, "reference", f"segment {stray}, outside the list")
    t.begin()
    _answer, ident = create(t, "q6 put")
    if ident is None:
        t.unexercised("Q-6s", "no campaign could be created to PUT to")
        return
    answer = t.put(f"/campaign/{ident}", form={"segments[]": str(stray)})
    _refused(t, "Q-6s", answer, "reference", f"a PUT of segment {stray}, outside the list")
    if config.domains.non_bouncing is not None:
        answer = t.put(f"/campaign/{ident}", form={"domain": str(config.domains.non_bouncing)})
        _refused(t, "Q-6", answer, "reference", "a PUT of a domain that is not bouncing")
