"""Conforming variants of the mock: each takes another defensible reading where CONTRACT.md is
silent ("Where servers may differ"), and the suite must pass it with zero failures.

The dual of variants.py: a broken variant proves the suite can fail a rule, a conforming one
proves it does not fail a server for a choice CONTRACT.md leaves open.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import State

from .middleware import Call, WsgiApp, install

#: The layers a conforming variant is judged by unless it says otherwise (every rule in them).
DEFAULT_ONLY: Final = ("robustness", "schema", "stateful")


@dataclass(frozen=True)
class Conforming:
    name: str
    #: The CONTRACT.md silence it takes, in one line.
    reading: str
    apply: Callable[[Flask], None]
    #: The --only selection to run against it (layers or rules).
    only: tuple[str, ...] = DEFAULT_ONLY
    skip: tuple[str, ...] = ()


CONFORMING_VARIANTS: list[Conforming] = []


def conforming(
    name: str,
    reading: str,
    *,
    only: tuple[str, ...] = DEFAULT_ONLY,
    skip: tuple[str, ...] = (),
    into: list[Conforming] | None = None,
) -> Callable[[Callable[[Flask], None]], Callable[[Flask], None]]:
    """Register the decorated `apply(app)` as a conforming variant (in `into`, or this module's
    CONFORMING_VARIANTS)."""
    target = CONFORMING_VARIANTS if into is None else into

    def register(apply: Callable[[Flask], None]) -> Callable[[Flask], None]:
        target.append(Conforming(name, reading, apply, only, skip))
        return apply

    return register


# -- helpers ---------------------------------------------------------------------------


def _invalid(field: str, message: str) -> tuple[int, dict[str, Any]]:
    """V-3's application failure for one field, as a conforming server would write it."""
    return 200, {
        "success": False,
        "data": {"error": f"{field}: {message}", "code": "invalid", "errors": {field: [message]}},
    }


def _code(code: str, field: str, message: str) -> tuple[int, dict[str, Any]]:
    status, document = _invalid(field, message)
    document["data"]["code"] = code
    return status, document


def _writes(call: Call) -> bool:
    return call.method in ("POST", "PUT") and (
        call.path.rstrip("/") == "/campaign" or call.campaign_id is not None
    )


Answer = tuple[int, dict[str, Any]]
Decide = Callable[[Call, CampaignBackend], Answer | None]


def _refusing(decide: Decide) -> Callable[[Flask], None]:
    """A variant whose application refuses what `decide` names, with `decide`'s answer.

    The refusal must come where V-4 puts the application: after routing, credentials, the
    body and a missing id. So the request goes on to the mock with a blank `name` (which the
    mock refuses at once, changing nothing), and only an application failure of the mock is
    replaced by the variant's answer.
    """

    def apply(app: Flask) -> None:
        def on_request(call: Call, backend: CampaignBackend) -> None:
            answer = decide(call, backend) if _writes(call) else None
            if answer is not None and (call.form is not None or call.json is not None):
                call.extra["answer"] = answer
                call.set_param("name", "")

        def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
            answer = call.extra.get("answer")
            if answer is None or status != 200 or doc.get("success") is not False:
                return status
            doc.clear()
            doc.update(json.loads(json.dumps(answer[1])))
            return int(answer[0])

        install(app, on_request=on_request, on_response=on_response)

    return apply


def _ids(call: Call) -> list[tuple[str, Any]]:
    """(field, value) of every id and `when` a JSON body carries."""
    body = call.json or {}
    found: list[tuple[str, Any]] = [(n, body[n]) for n in ("domain", "list", "when") if n in body]
    segments = body.get("segments")
    if isinstance(segments, list):
        found += [("segments", item) for item in segments]
    return found


# -- JSON numbers ----------------------------------------------------------------------


def _json_digit_strings(call: Call, _b: CampaignBackend) -> Answer | None:
    for name, value in _ids(call):
        if isinstance(value, str) and value.isdigit():
            return _invalid(name, "must be a JSON integer, not a string")
    return None


conforming(
    "json_digit_strings_invalid",
    'JSON ids and `when` as digit strings ("1") are `invalid`',
)(_refusing(_json_digit_strings))


def _json_floats(call: Call, _b: CampaignBackend) -> Answer | None:
    for name, value in _ids(call):
        if isinstance(value, float):
            return _invalid(name, "must be a JSON integer, not a float")
    return None


conforming(
    "json_integral_floats_invalid",
    "JSON ids and `when` as integral floats (1.0) are `invalid`",
)(_refusing(_json_floats))


# -- `when` spellings ------------------------------------------------------------------


def _when_text(call: Call) -> str | None:
    when = call.params().get("when")
    return when if isinstance(when, str) else None


def _when_space(call: Call, _b: CampaignBackend) -> Answer | None:
    when = _when_text(call)
    if when is not None and " " in when:
        return _invalid("when", "must be RFC 3339, with `T` between date and time")
    return None


conforming("when_space_invalid", "a space instead of `T` in `when` is `invalid`")(
    _refusing(_when_space)
)


def _when_lower_case(call: Call, _b: CampaignBackend) -> Answer | None:
    when = _when_text(call)
    if when is not None and ("t" in when or when.endswith("z")):
        return _invalid("when", "must spell `T` and `Z` in upper case")
    return None


conforming("when_lower_case_invalid", "lower-case `t` or `z` in `when` is `invalid`")(
    _refusing(_when_lower_case)
)


# -- parameters ------------------------------------------------------------------------

KNOWN = frozenset({"name", "domain", "list", "segments", "segments[]", "state", "when",
                   "event_callback"})  # fmt: skip
_INDEXED = re.compile(r"^segments\[[0-9]+\]$")


def _unknown_params(call: Call, _b: CampaignBackend) -> Answer | None:
    for name in call.params():
        if name not in KNOWN and not _INDEXED.match(name):
            return _invalid(name or "body", "is not a parameter of this operation")
    return None


conforming("unknown_params_invalid", "unknown parameters are `invalid`, not ignored")(
    _refusing(_unknown_params)
)


def _last_wins(call: Call, _b: CampaignBackend) -> None:
    if call.form is None:
        return
    last = {k: i for i, (k, _v) in enumerate(call.form)}
    call.form = [(k, v) for i, (k, v) in enumerate(call.form) if k.endswith("]") or last[k] == i]


@conforming(
    "repeated_key_last_wins", "a scalar form key given twice: the last wins (not `invalid`)"
)
def _repeated_key_last_wins(app: Flask) -> None:
    install(app, on_request=_last_wins)


_EMPTY_PART_NAME = re.compile(rb'content-disposition:[^\r\n]*;\s*name=""', re.IGNORECASE)


@conforming(
    "multipart_empty_name_malformed",
    "a multipart part with an empty name makes the body broken (400 malformed, V-4)",
)
def _multipart_empty_name_malformed(app: Flask) -> None:
    """The mock itself answers 400 at V-4 step 3 (after routing and credentials): the body it
    gets is broken JSON in place of the multipart one."""
    inner: WsgiApp = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("CONTENT_TYPE", "").startswith("multipart/"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            if _EMPTY_PART_NAME.search(body):
                environ["CONTENT_TYPE"], body = "application/json", b"{"
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return inner(environ, start_response)

    app.wsgi_app = wrapped  # type: ignore[method-assign]


def _empty_on_post(call: Call, _b: CampaignBackend) -> Answer | None:
    if call.method != "POST":
        return None
    params = call.params()
    for name in ("when", "event_callback"):
        if name in params and params[name] in ("", None):
            return _invalid(name, "must not be empty; leave it out instead")
    return None


conforming(
    "empty_post_values_invalid",
    'an empty `when` or `event_callback` on POST is `invalid`, not "no value"',
)(_refusing(_empty_on_post))


_ZERO_PADDED = re.compile(r"^0+[0-9]")


def _padded_form_ids(call: Call, _b: CampaignBackend) -> Answer | None:
    for name, value in call.form or []:
        if name in ("domain", "list", "segments[]") and _ZERO_PADDED.match(value):
            return _invalid(name.rstrip("[]"), "must be an id without leading zeros")
    return None


conforming(
    "form_ids_zero_padded_invalid", "form ids with leading zeros (`domain=007`) are `invalid`"
)(_refusing(_padded_form_ids))


def _any_case_state(call: Call, _b: CampaignBackend) -> None:
    state = call.params().get("state")
    if isinstance(state, str) and state.upper() in State.__members__ and state != state.upper():
        call.set_param("state", state.upper())


@conforming("state_names_any_case", "state names are read in any case (`ready` is READY)")
def _state_names_any_case(app: Flask) -> None:
    install(app, on_request=_any_case_state)


# -- several faults, paths ---------------------------------------------------------------


def _reference_first(call: Call, backend: CampaignBackend) -> Answer | None:
    """Q-6 before field validation: an unknown or non-bouncing domain answers `reference`."""
    domain = call.params().get("domain")
    ident = domain if isinstance(domain, int) and not isinstance(domain, bool) else None
    if isinstance(domain, str) and domain.isdigit():
        ident = int(domain)
    if ident is None:
        return None
    found = backend.fixtures.domain(ident)
    if found is None or not found.is_bouncing:
        return _code("reference", "domain", f"domain {ident} is not a bouncing domain")
    return None


conforming(
    "reference_before_invalid",
    "several faults: an unresolved domain answers `reference` before any `invalid`",
)(_refusing(_reference_first))


_EDGES = {("DRAFT", "SCHEDULED"), ("SCHEDULED", "DRAFT"), ("SCHEDULED", "READY"),
          ("READY", "SCHEDULED")}  # fmt: skip


def _conflict_first(call: Call, backend: CampaignBackend) -> Answer | None:
    """M-5 and M-2 before field validation: a PUT the state forbids answers `conflict`."""
    if call.method != "PUT":
        return None
    campaign = next((c for c in backend.campaigns() if c.id == call.campaign_id), None)
    if campaign is None:
        return None
    current = campaign.state.value
    if current in ("SENDING", "DONE", "ERROR"):
        return _code("conflict", "state", f"a {current} campaign cannot be changed")
    wanted = call.params().get("state")
    known = isinstance(wanted, str) and wanted in State.__members__
    if known and wanted != current and (current, wanted) not in _EDGES:
        return _code("conflict", "state", f"cannot go from {current} to {wanted}")
    return None


conforming(
    "conflict_before_invalid",
    "several faults: a PUT the state forbids answers `conflict` before any `invalid`",
)(_refusing(_conflict_first))


_PADDED = re.compile(r"^/campaign/0+[0-9]*/?$")


def _padded_ids(call: Call, _b: CampaignBackend) -> None:
    """Routing (V-4 step 1, before credentials): a zero-padded id is no campaign's id."""
    if _PADDED.match(call.path):
        call.answer = (
            404,
            {"success": False,
             "data": {"error": f"no route for {call.path}", "code": "not_found", "errors": {}}},
        )  # fmt: skip


@conforming("zero_padded_path_ids_404", "path ids with leading zeros (`/campaign/007`) are a 404")
def _zero_padded_path_ids_404(app: Flask) -> None:
    install(app, on_request=_padded_ids)


# -- responses -------------------------------------------------------------------------


@conforming(
    "extra_response_fields",
    "extra fields in every campaign and in failure `data` (R-2 lets servers add fields)",
)
def _extra_fields(app: Flask) -> None:
    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        data = doc.get("data")
        if isinstance(data, dict) and doc.get("success") is True and "state" in data:
            data.update(created_by="vendor", tags=[], links={"self": f"/campaign/{data['id']}"})
        elif isinstance(data, dict) and doc.get("success") is False:
            data.update(request_id="req-1", hint=None, docs="https://vendor.example/errors")
        return status

    install(app, on_response=on_response)


# -- M-5 in sent states: several faults, and texts that vary ---------------------------------

#: A `name` with something in it (a conforming server may check it before the state).
_BLANK = re.compile(r"\S")
SENT_STATES: Final = (State.SENDING, State.DONE, State.ERROR)


def _fields_before_state(call: Call, backend: CampaignBackend) -> None:
    """A PUT in SENDING, DONE or ERROR with a blank `name` answers `invalid`, not `conflict`."""
    campaign = next((c for c in backend.campaigns() if c.id == call.campaign_id), None)
    if call.method != "PUT" or campaign is None or campaign.state not in SENT_STATES:
        return
    name = call.params().get("name")
    if isinstance(name, str) and not _BLANK.search(name):
        call.answer = _invalid("name", "must not be blank")


@conforming(
    "sent_put_fields_first",
    "a PUT in SENDING, DONE or ERROR that also has a field fault (a blank `name`) answers "
    "`invalid`, the field's code, not M-5's `conflict` (several faults: any of their codes)",
)
def _sent_put_fields_first(app: Flask) -> None:
    install(app, on_request=_fields_before_state)


def _varying_refusals() -> Callable[[Call, int, dict[str, Any], CampaignBackend], int]:
    """Each refusal of one campaign says it in other words, with another `errors` map."""
    told: dict[int, int] = {}

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        data = doc.get("data")
        ident = call.campaign_id
        # Only the state refusals the reading names: a field's failure still names the field.
        conflict = isinstance(data, dict) and data.get("code") == "conflict"
        if doc.get("success") is False and conflict and ident is not None:
            assert isinstance(data, dict)
            told[ident] = told.get(ident, 0) + 1
            data["error"] = f"refused ({told[ident]} time(s) for campaign {ident})"
            data["errors"] = {"campaign" if told[ident] % 2 else "state": [data["error"]]}
        return status

    return on_response


@conforming(
    "repeated_refusals_reworded",
    "a repeated refused PUT or DELETE (in SENDING, DONE, ERROR) answers the same `code` with "
    "another `error` text and `errors` map each time (only `code` is the stable reason, V-3)",
)
def _repeated_refusals_reworded(app: Flask) -> None:
    install(app, on_response=_varying_refusals())
