"""Broken variants, each breaking one clause of CONTRACT.md (see campaign_contract/coverage).

M-1..M-5 here are stateful-layer variants (run by test_variants.py); A, E, C and the M-4 clause
judged by callbacks are callbacks-layer variants (run by test_callback_variants.py). Each names
its clause in `why`; src/campaign_contract/coverage/{M,A,E,C}.yaml lists it under that clause.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask

from campaign_mock.delivery.transport import TransportError
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import State

from .callback_variants import Post, _form, _transport, callback_variant
from .middleware import Call, install
from .variants import _campaign, _failure, _state, variant

Pairs = list[tuple[str, str]]
Rewrite = Callable[[str, bytes, Post], int]
CLIENT = (State.DRAFT, State.SCHEDULED, State.READY)
SENT = (State.SENDING, State.DONE, State.ERROR)
#: The mock's built-in lists (fixtures/default.yaml): 3 is empty, 4 ends every send in ERROR.
EMPTY_LIST, ERROR_LIST = 3, 4


def _wire(
    backend: CampaignBackend, ident: int | None, **changes: Any
) -> tuple[int, dict[str, Any]]:
    """A success answer with the campaign as it is, `changes` shown on top (nothing applied)."""
    campaign = next(c for c in backend.campaigns() if c.id == ident)
    return 200, {"success": True, "data": campaign.to_wire() | changes}


def _refusal(code: str, why: str) -> tuple[int, dict[str, Any]]:
    return 200, {"success": False, "data": {"error": why, "code": code, "errors": {"state": [why]}}}


def _on_request(change: Callable[[Call, CampaignBackend], None]) -> Callable[[Flask], None]:
    return lambda app: install(app, on_request=change)


def _on_response(
    change: Callable[[Call, int, dict[str, Any], CampaignBackend], int],
) -> Callable[[Flask], None]:
    return lambda app: install(app, on_response=change)


# -- M-1: each two-way edge is taken; a send never goes back ------------------------------


def _refuse_edge(source: State, target: State) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, backend: CampaignBackend) -> None:
        asked = call.params().get("state")
        if (call.method == "PUT" and asked == target.value) and (
            _state(backend, call.campaign_id) is source
        ):
            call.answer = _refusal("conflict", f"{source} -> {target} refused")

    return on_request


for _source, _target in [
    (State.DRAFT, State.SCHEDULED),
    (State.SCHEDULED, State.DRAFT),
    (State.SCHEDULED, State.READY),
    (State.READY, State.SCHEDULED),
]:
    variant(
        f"m1_refuses_{_source.value}_to_{_target.value}".lower(),
        ("M-1",),
        ("M-1",),
        f"the two-way edge {_source.value} -> {_target.value} is refused as a conflict",
    )(_on_request(_refuse_edge(_source, _target)))


def _flip_back(
    shown: str, instead: str
) -> Callable[[Call, int, dict[str, Any], CampaignBackend], int]:
    """Every second GET of a campaign in `shown` reads `instead`."""
    reads: dict[int, int] = {}

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method == "GET" and campaign is not None and campaign["state"] == shown:
            reads[campaign["id"]] = reads.get(campaign["id"], 0) + 1
            if reads[campaign["id"]] % 2 == 0:
                campaign["state"] = instead
        return status

    return on_response


for _shown_state, _instead in [("SENDING", "READY"), ("DONE", "SENDING"), ("ERROR", "SENDING")]:
    variant(
        f"m1_{_shown_state}_back_to_{_instead}".lower(),
        ("M-1",),
        ("M-1",),
        f"a {_shown_state} send reads {_instead} on every second GET",
    )(lambda app, a=_shown_state, b=_instead: install(app, on_response=_flip_back(a, b)))


def _named_sent(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
    campaign = _campaign(doc)
    if campaign is not None and campaign["state"] == "DONE":
        campaign["state"] = "SENT"
    return status


variant("m1_done_named_sent", ("M-1",), ("M-1",), "a finished send reads SENT, no state of M-1")(
    _on_response(_named_sent)
)

# -- M-2: only the three client states, only along two-way edges, conflict otherwise -------


def _ready_to_draft(call: Call, backend: CampaignBackend) -> None:
    ident = call.campaign_id
    if (call.method == "PUT" and call.params().get("state") == "DRAFT") and (
        ident is not None and _state(backend, ident) is State.READY
    ):
        backend.force_state(ident, State.SCHEDULED)


variant("m2_ready_to_draft", ("M-2",), ("M-2",), "READY -> DRAFT (no two-way edge) is accepted")(
    _on_request(_ready_to_draft)
)


def _client_sets_sending(call: Call, backend: CampaignBackend) -> None:
    if (call.method == "PUT" and call.params().get("state") == "SENDING") and (
        _state(backend, call.campaign_id) in CLIENT
    ):
        call.answer = _wire(backend, call.campaign_id, state="SENDING")


variant("m2_client_sets_sending", ("M-2",), ("M-2",), "a PUT may set SENDING (server-only)")(
    _on_request(_client_sets_sending)
)


def _edge_refused_as_invalid(
    call: Call, status: int, doc: dict[str, Any], backend: CampaignBackend
) -> int:
    failure = _failure(doc)
    if (call.method == "PUT" and failure is not None and failure.get("code") == "conflict") and (
        _state(backend, call.campaign_id) in CLIENT
    ):
        failure["code"] = "invalid"
    return status


variant("m2_refused_edge_invalid", ("M-2",), ("M-2",), "a refused edge answers `invalid`")(
    _on_response(_edge_refused_as_invalid)
)


def _stay_put_refused(call: Call, backend: CampaignBackend) -> None:
    current = _state(backend, call.campaign_id)
    if call.method == "PUT" and current in CLIENT and call.params().get("state") == current.value:
        call.answer = _refusal("conflict", "already in that state")


variant("m2_stay_put_refused", ("M-2",), ("M-2",), "asking for the current state is a conflict")(
    _on_request(_stay_put_refused)
)


def _post_refused(state: State) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method == "POST" and call.params().get("state") == state.value:
            call.answer = _refusal("conflict", f"a POST may not start in {state}")

    return on_request


def _post_accepted(state: State) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method == "POST" and call.params().get("state") == state.value:
            call.set_param("state", "DRAFT")

    return on_request


for _each in CLIENT:
    variant(
        f"m2_post_{_each.value.lower()}_refused",
        ("M-2",),
        ("M-2",),
        f"a POST in {_each.value} is a conflict",
    )(_on_request(_post_refused(_each)))
for _each in SENT:
    variant(
        f"m2_post_{_each.value.lower()}_accepted",
        ("M-2",),
        ("M-2",),
        f"a POST in {_each.value} is accepted (made a DRAFT)",
    )(_on_request(_post_accepted(_each)))

# -- M-3: SCHEDULED and READY need `when` --------------------------------------------------


def _when_fault_as_conflict(
    call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend
) -> int:
    failure = _failure(doc)
    errors = (failure or {}).get("errors") or {}
    if failure is not None and failure.get("code") == "invalid" and "when" in errors:
        failure["code"] = "conflict"
    return status


variant("m3_missing_when_conflict", ("M-3",), ("M-3",), "a missing `when` answers `conflict`")(
    _on_response(_when_fault_as_conflict)
)


def _clear_when_anywhere(call: Call, backend: CampaignBackend) -> None:
    params = call.params()
    if (call.method == "PUT" and params.get("when") == "" and "state" not in params) and (
        _state(backend, call.campaign_id) in (State.SCHEDULED, State.READY)
    ):
        call.answer = _wire(backend, call.campaign_id, when=None)


variant("m3_when_cleared_outside_draft", ("M-3",), ("M-3",), '`when=""` accepted in SCHEDULED')(
    _on_request(_clear_when_anywhere)
)

# -- M-4: what the server does by itself -----------------------------------------------------


def _scheduled_sends(call: Call, backend: CampaignBackend) -> None:
    ident = call.campaign_id
    if call.method == "GET" and ident is not None and _state(backend, ident) is State.SCHEDULED:
        campaign = next(c for c in backend.campaigns() if c.id == ident)
        if campaign.when is not None and campaign.when <= backend.clock.now():
            backend.force_state(ident, State.READY)


variant("m4_scheduled_sends", ("M-4",), ("M-4",), "a SCHEDULED campaign whose time passed sends")(
    _on_request(_scheduled_sends)
)


def _shown(
    when: Callable[[dict[str, Any], CampaignBackend], bool], state: str
) -> Callable[[Flask], None]:
    """GET answers show `state` for campaigns `when` picks (what the server would have done)."""

    def on_response(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method == "GET" and campaign is not None and when(campaign, b):
            campaign["state"] = state
        return status

    return _on_response(on_response)


variant("m4_ready_sends_early", ("M-4",), ("M-4",), "READY sends before its `when` has come")(
    _shown(lambda c, b: c["state"] == "READY" and (c["when"] or 0) > b.clock.now(), "SENDING")
)
variant("m4_error_list_done", ("M-4",), ("M-4",), "a send that cannot go on ends in DONE")(
    _shown(lambda c, _b: c["list"] == ERROR_LIST and c["state"] == "ERROR", "DONE")
)
variant("m4_empty_ends_in_error", ("M-4",), ("M-4",), "an empty audience ends in ERROR")(
    _shown(lambda c, _b: c["list"] == EMPTY_LIST and c["state"] == "DONE", "ERROR")
)
callback_variant(
    "m4_whole_send_ends_in_error",
    ("M-4",),
    ("M-4", "C-1"),
    "a send whose every message has its outcome ends in ERROR",
)(_shown(lambda c, _b: c["list"] in (1, 2) and c["state"] == "DONE", "ERROR"))

# -- M-5: PUT and DELETE by state; one final state ----------------------------------------


def _put_refused(state: State) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, backend: CampaignBackend) -> None:
        if (call.method == "PUT" and "state" not in call.params()) and (
            _state(backend, call.campaign_id) is state
        ):
            call.answer = _refusal("conflict", f"no PUT in {state}")

    return on_request


def _put_accepted(state: State) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, backend: CampaignBackend) -> None:
        if call.method == "PUT" and _state(backend, call.campaign_id) is state:
            call.answer = _wire(backend, call.campaign_id)

    return on_request


def _delete_refused(state: State) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, backend: CampaignBackend) -> None:
        if call.method == "DELETE" and _state(backend, call.campaign_id) is state:
            call.answer = _refusal("conflict", f"no DELETE in {state}")

    return on_request


for _each in CLIENT:
    variant(
        f"m5_put_refused_in_{_each.value.lower()}",
        ("M-5",),
        ("M-5",),
        f"a PUT without `state` in {_each.value} is a conflict",
    )(_on_request(_put_refused(_each)))
for _each in (State.SENDING, State.ERROR):
    variant(
        f"m5_put_in_{_each.value.lower()}_accepted",
        ("M-5",),
        ("M-5",),
        f"a PUT in {_each.value} answers success",
    )(_on_request(_put_accepted(_each)))
for _each in (*CLIENT, State.DONE, State.ERROR):
    variant(
        f"m5_delete_refused_in_{_each.value.lower()}",
        ("M-5",),
        ("M-5",),
        f"DELETE in {_each.value} is a conflict",
    )(_on_request(_delete_refused(_each)))


def _sent_refusal_invalid(method: str) -> Callable[[Flask], None]:
    def on_response(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        failure = _failure(doc)
        if (
            call.method == method and failure is not None and failure.get("code") == "conflict"
        ) and (_state(b, call.campaign_id) in SENT):
            failure["code"] = "invalid"
        return status

    return _on_response(on_response)


variant("m5_put_sent_invalid", ("M-5",), ("M-5",), "a PUT in DONE/ERROR answers `invalid`")(
    _sent_refusal_invalid("PUT")
)
variant("m5_delete_sending_invalid", ("M-5",), ("M-5",), "DELETE in SENDING answers `invalid`")(
    _sent_refusal_invalid("DELETE")
)


def _final_flips() -> Callable[[Call, int, dict[str, Any], CampaignBackend], int]:
    reads: dict[int, int] = {}

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method == "GET" and campaign is not None and campaign["state"] == "DONE":
            reads[campaign["id"]] = reads.get(campaign["id"], 0) + 1
            if reads[campaign["id"]] > 1:
                campaign["state"] = "ERROR"
        return status

    return on_response


variant("m5_final_state_changes", ("M-5", "M-1"), ("M-5",), "a DONE campaign later reads ERROR")(
    lambda app: install(app, on_response=_final_flips())
)

# -- callback bodies: reading and writing them ---------------------------------------------


def _split_body(body: bytes) -> tuple[Pairs, str, list[str]]:
    """(the other fields, the address key name, the addresses in index order)."""
    pairs = _form(body)
    rest = [(k, v) for k, v in pairs if not k.startswith(("email[", "telephone["))]
    addresses = [(k, v) for k, v in pairs if k.startswith(("email[", "telephone["))]
    name = addresses[0][0].split("[", 1)[0] if addresses else "email"
    ordered = sorted(addresses, key=lambda kv: int(kv[0].split("[", 1)[1].rstrip("]")))
    return rest, name, [v for _k, v in ordered]


def _body(rest: Pairs, name: str, addresses: list[str], key: str = "{name}[{i}]") -> bytes:
    indexed = [(key.format(name=name, i=i), a) for i, a in enumerate(addresses)]
    return urlencode(rest + indexed).encode()


def _changed(rest: Pairs, **changes: str) -> Pairs:
    return [(k, changes.get(k, v)) for k, v in rest]


def _worst(statuses: list[int]) -> int:
    return next((s for s in statuses if not 200 <= s < 300), statuses[-1] if statuses else 200)


def _rebody(change: Callable[[Pairs, str, list[str]], bytes | None]) -> Rewrite:
    """A transport rewrite of each body (None: swallowed, answered 200 as if acknowledged)."""

    def rewrite(url: str, body: bytes, post: Post) -> int:
        rest, name, addresses = _split_body(body)
        changed = change(rest, name, addresses)
        return 200 if changed is None else post(url, changed)

    return rewrite


def _only(event: str, name: str | None = None) -> Callable[[Pairs, str], bool]:
    return lambda rest, key: dict(rest).get("event") == event and name in (None, key)


def _swallow(picked: Callable[[Pairs, str], bool]) -> Rewrite:
    return _rebody(lambda r, n, a: None if picked(r, n) else _body(r, n, a))


def _split_and_shift(events: tuple[str, ...], shifted: str, by: int) -> Rewrite:
    """Email callbacks of `events` go one address each (so `when` is each event's own), and
    `shifted` ones say `when` `by` seconds off: a wrong order, visible per message."""

    def rewrite(url: str, body: bytes, post: Post) -> int:
        rest, name, addresses = _split_body(body)
        event = dict(rest).get("event", "")
        if name != "email" or event not in events:
            return post(url, body)
        if event == shifted:
            rest = _changed(rest, when=str(int(dict(rest)["when"]) + by))
        return _worst([post(url, _body(rest, name, [a])) for a in addresses])

    return rewrite


# -- the audience -----------------------------------------------------------------

#: Contacts of the built-in list 1: eva is in no segment; these telephones' owners have emails.
LEFT_OUT = "eva@example.com"
HAVE_EMAIL = {"+351910000001", "+351910000002", "+351910000005", "+351910000008"}

callback_variant(
    "a1_stranger_reported", ("A-1",), ("A-1",), "a delivered email also goes to a stranger"
)(
    _transport(
        _rebody(
            lambda r, n, a: _body(
                r, n, a + (["stranger@example.net"] if _only("delivered", "email")(r, n) else [])
            )
        )
    )
)
callback_variant(
    "a1_contact_left_out",
    ("A-1", "A-2p"),
    ("A-1",),
    "a contact of the list (no segments) gets nothing",
)(
    _transport(
        _rebody(
            lambda r, n, a: _body(r, n, kept) if (kept := [x for x in a if x != LEFT_OUT]) else None
        )
    )
)
callback_variant("a2_no_email", ("A-2",), ("A-2",), "the Email payload is never sent")(
    _transport(_rebody(lambda r, n, a: None if n == "email" else _body(r, n, a)))
)
callback_variant(
    "a2p_sms_only_without_email",
    ("A-2p",),
    ("A-2",),
    "contacts with an email get no SMS, though they have a telephone",
)(
    _transport(
        _rebody(
            lambda r, n, a: (
                _body(r, n, kept)
                if (kept := [x for x in a if n != "telephone" or x not in HAVE_EMAIL])
                else None
            )
        )
    )
)

# -- E-1, E-2: events per payload and per message -------------------------------------------


def _renamed(event: str, to: str) -> Rewrite:
    return _rebody(
        lambda r, n, a: _body(_changed(r, event=to) if _only(event, "email")(r, n) else r, n, a)
    )


def _sms_submitted(url: str, body: bytes, post: Post) -> int:
    rest, name, addresses = _split_body(body)
    if name == "telephone" and dict(rest).get("event") in ("delivered", "bounced"):
        post(url, _body(_changed(rest, event="submitted"), name, addresses))
    return post(url, body)


def _opened_after_bounced(url: str, body: bytes, post: Post) -> int:
    status = post(url, body)
    rest, name, addresses = _split_body(body)
    if name == "email" and dict(rest).get("event") == "bounced" and 200 <= status < 300:
        when = str(int(dict(rest)["when"]) + 1)
        post(url, _body(_changed(rest, event="opened", when=when), name, addresses))
    return status


callback_variant("e1_email_unknown_event", ("E-1",), ("E-1",), "email opens are reported `read`")(
    _transport(_renamed("opened", "read"))
)
callback_variant("e1_sms_submitted", ("E-1",), ("E-1",), "SMS messages also report `submitted`")(
    _transport(_sms_submitted)
)
callback_variant("e2_no_submitted", ("E-2",), ("E-2",), "email `submitted` is never reported")(
    _transport(_swallow(_only("submitted", "email")))
)
callback_variant("e2_no_outcome", ("E-2",), ("E-2",), "email `delivered` is never reported")(
    _transport(_swallow(_only("delivered", "email")))
)
callback_variant(
    "e2_outcome_before_submitted",
    ("E-2",),
    ("E-2",),
    "email outcomes say a `when` 60 s before `submitted`",
)(_transport(_split_and_shift(("submitted", "delivered", "bounced"), "delivered", -60)))
callback_variant(
    "e2_opened_before_delivered",
    ("E-2",),
    ("E-2",),
    "email `opened` says a `when` 120 s before its `delivered`",
)(_transport(_split_and_shift(("delivered", "opened"), "opened", -120)))
callback_variant(
    "e2_opened_after_bounced", ("E-2",), ("E-2",), "bounced emails are then reported opened"
)(_transport(_opened_after_bounced))

# -- C-1: a POST to that URL for every event -------------------------------------------------


def _send_with(method: str, url: str, body: bytes, timeout: float = 5.0) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        target = url[len(f"{parts.scheme}://{parts.netloc}") :]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request(method, target, body, headers)
        return connection.getresponse().status
    except OSError as error:
        raise TransportError(str(error)) from None
    finally:
        connection.close()


def _other_path(url: str, body: bytes, post: Post) -> int:
    head, sep, query = url.partition("?")
    return post(f"{head}-elsewhere{sep}{query}", body)


callback_variant("c1_callbacks_by_put", ("C-1",), ("C-1",), "callbacks are made with PUT")(
    _transport(lambda u, b, _p: _send_with("PUT", u, b))
)
callback_variant("c1_other_path", ("C-1",), ("C-1",), "callbacks go to another path")(
    _transport(_other_path)
)
callback_variant("c1_bounced_never_reported", ("C-1",), ("C-1",), "`bounced` is never reported")(
    _transport(_swallow(_only("bounced")))
)

# -- C-2: the body -----------------------------------------------------------------------------


def _iso(rest: Pairs) -> Pairs:
    when = int(dict(rest)["when"])
    return _changed(rest, when=dt.datetime.fromtimestamp(when, dt.UTC).isoformat())


callback_variant("c2_no_event", ("C-2",), ("C-2",), "delivered callbacks carry no `event`")(
    _transport(
        _rebody(
            lambda r, n, a: _body(
                [p for p in r if p[0] != "event"] if _only("delivered")(r, n) else r, n, a
            )
        )
    )
)
callback_variant("c2_when_iso", ("C-2",), ("C-2",), "`when` is an ISO string, not Unix time")(
    _transport(_rebody(lambda r, n, a: _body(_iso(r), n, a)))
)
callback_variant("c2_unindexed_keys", ("C-2",), ("C-2",), "addresses come as `email[]`, no index")(
    _transport(_rebody(lambda r, n, a: _body(r, n, a, "{name}[]")))
)
callback_variant(
    "c2_telephones_under_email", ("C-2",), ("C-2",), "SMS addresses come as `email[N]`"
)(_transport(_rebody(lambda r, n, a: _body(r, "email", a))))
callback_variant("c2_index_gaps", ("C-2p",), ("C-2",), "indexes go 0, 2, 4 (gaps)")(
    _transport(
        _rebody(
            lambda r, n, a: urlencode(r + [(f"{n}[{2 * i}]", x) for i, x in enumerate(a)]).encode()
        )
    )
)


def _padded(rest: Pairs, name: str, addresses: list[str]) -> bytes:
    """A delivered email callback reports its addresses over and over: 1001 of them."""
    if _only("delivered", "email")(rest, name) and addresses:
        addresses = (addresses * 1001)[:1001]
    return _body(rest, name, addresses)


callback_variant("c2_1001_addresses", ("C-2p",), ("C-2",), "1001 addresses in one callback")(
    _transport(_rebody(_padded))
)


def _two_channels() -> Rewrite:
    """A delivered email callback is held until a delivered SMS one comes; both go as one."""
    held: dict[str, bytes] = {}
    lock = threading.Lock()

    def flush(url: str) -> None:
        with lock:
            item = held.pop(url, None)
        if item is not None:  # on a connection of its own: the timer thread keeps none
            with contextlib.suppress(TransportError):  # lost: this variant breaks C-2p anyway
                _send_with("POST", url, item)

    def rewrite(url: str, body: bytes, post: Post) -> int:
        rest, name, addresses = _split_body(body)
        if dict(rest).get("event") != "delivered":
            return post(url, body)
        with lock:
            if name == "email" and url not in held:
                held[url] = body
                threading.Timer(0.5, flush, (url,)).start()
                return 200
            item = held.pop(url, None) if name == "telephone" else None
        if item is None:
            return post(url, body)
        _r, _n, emails = _split_body(item)
        merged = urlencode(
            rest
            + [(f"email[{i}]", a) for i, a in enumerate(emails)]
            + [(f"telephone[{i}]", a) for i, a in enumerate(addresses)]
        )
        return post(url, merged.encode())

    return rewrite


callback_variant(
    "c2_two_channels", ("C-2p",), ("C-2",), "delivered emails and SMS come in one callback"
)(lambda app: _transport(_two_channels())(app))

# -- C-4: what is retried -------------------------------------------------------------------


def _drops_after(
    status_dropped: Callable[[int], bool] = lambda _s: False, error_dropped: str = ""
) -> Rewrite:
    """A callback that failed with a status `status_dropped` takes, or with a transport error
    whose text has `error_dropped`, is pretended sent on its retries (every other is retried)."""
    failed: set[bytes] = set()

    def rewrite(url: str, body: bytes, post: Post) -> int:
        if body in failed:
            return 200
        try:
            status = post(url, body)
        except TransportError as error:
            if error_dropped and error_dropped in str(error).lower():
                failed.add(body)
            raise
        if not 200 <= status < 300 and status_dropped(status):
            failed.add(body)
        return status

    return rewrite


callback_variant(
    "c4_status_not_retried", ("C-4",), ("C-4",), "a callback answered a non-2xx status is dropped"
)(lambda app: _transport(_drops_after(status_dropped=lambda _s: True))(app))
callback_variant(
    "c4_timeout_not_retried",
    ("C-4",),
    ("C-4",),
    "C-4.no-answer-retried, failure=no_answer: a callback unanswered in time is dropped (a "
    "refused connection is retried)",
)(lambda app: _transport(_drops_after(error_dropped="no answer"))(app))

# -- one cell of a clause's domain each (the rest of the domain behaves) --------------------


def _find(backend: CampaignBackend, ident: int | None) -> Any:
    return next((c for c in backend.campaigns() if c.id == ident), None)


def _nth_in(
    method: str, state: State, nth: int, answer: Callable[[CampaignBackend, int], Any]
) -> Callable[[Flask], None]:
    """The `nth` request `method` (and later ones) on a campaign in `state` gets `answer`."""
    seen: dict[int, int] = {}

    def on_request(call: Call, backend: CampaignBackend) -> None:
        ident = call.campaign_id
        if call.method != method or ident is None or _state(backend, ident) is not state:
            return
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] >= nth:
            call.answer = answer(backend, ident)

    return _on_request(on_request)


variant(
    "m5_second_delete_in_sending_succeeds",
    ("M-5",),
    ("M-5",),
    "M-5.delete-sending-conflict, attempt=repeated: the 2nd DELETE in SENDING answers success",
)(_nth_in("DELETE", State.SENDING, 2, lambda b, i: _wire(b, i)))
variant(
    "m5_second_delete_in_sending_not_found",
    ("M-5",),
    ("M-5",),
    "M-5.delete-sending-code, attempt=repeated: the 2nd DELETE in SENDING answers `not_found`",
)(_nth_in("DELETE", State.SENDING, 2, lambda b, i: _refusal("not_found", "already going")))


def _put_of(fields: frozenset[str], state: State) -> Callable[[Flask], None]:
    """A PUT of exactly these fields (none: an empty PUT) in `state` answers success."""

    def on_request(call: Call, backend: CampaignBackend) -> None:
        if (call.method == "PUT" and set(call.params()) == fields) and (
            _state(backend, call.campaign_id) is state
        ):
            call.answer = _wire(backend, call.campaign_id)

    return _on_request(on_request)


variant(
    "m5_empty_put_in_done_accepted",
    ("M-5",),
    ("M-5",),
    "M-5.put-done-conflict, request=empty: a PUT with no parameter on a DONE campaign succeeds",
)(_put_of(frozenset(), State.DONE))
variant(
    "m5_empty_put_in_sending_accepted",
    ("M-5",),
    ("M-5",),
    "M-5.put-sending-conflict, request=empty: a PUT with no parameter in SENDING succeeds",
)(_put_of(frozenset(), State.SENDING))
variant(
    "m5_when_put_in_error_accepted",
    ("M-5",),
    ("M-5",),
    "M-5.put-error-conflict, request=when: a PUT of `when` alone in ERROR succeeds",
)(_put_of(frozenset({"when"}), State.ERROR))


def _sending_put_invalid(
    call: Call, status: int, doc: dict[str, Any], backend: CampaignBackend
) -> int:
    failure = _failure(doc)
    if (call.method == "PUT" and failure is not None and failure.get("code") == "conflict") and (
        _state(backend, call.campaign_id) is State.SENDING
    ):
        failure["code"] = "invalid"
    return status


variant(
    "m5_put_in_sending_invalid",
    ("M-5",),
    ("M-5",),
    "M-5.put-sent-code, state=SENDING: a PUT in SENDING answers `invalid` (DONE, ERROR: conflict)",
)(_on_response(_sending_put_invalid))

#: Server seconds before `when` in which the next variant thinks a READY campaign is too late
#: to delete.
NEAR = 300


def _delete_refused_near_when(call: Call, backend: CampaignBackend) -> None:
    campaign = _find(backend, call.campaign_id) if call.method == "DELETE" else None
    ready = campaign is not None and campaign.state is State.READY and campaign.when is not None
    if ready and 0 < campaign.when - backend.clock.now() <= NEAR:
        call.answer = _refusal("conflict", "about to send")


variant(
    "m5_delete_refused_near_when",
    ("M-5",),
    ("M-5",),
    f"M-5.delete-in-ready, when=just_before: DELETE of a READY campaign {NEAR} s or less "
    "before its `when` is a conflict",
)(_on_request(_delete_refused_near_when))


def _remembered(
    picks: Callable[[Call, Any], bool],
) -> tuple[dict[int, int], Callable[[Call, CampaignBackend], None]]:
    """Old `when`s of READY campaigns a PUT `picks`, by id (the PUT itself goes through)."""
    old: dict[int, int] = {}

    def on_request(call: Call, backend: CampaignBackend) -> None:
        campaign = _find(backend, call.campaign_id) if call.method == "PUT" else None
        if campaign is not None and campaign.state is State.READY and picks(call, campaign):
            old[campaign.id] = campaign.when

    return old, on_request


def _back_to_scheduled_starts(app: Flask) -> None:
    old, remember = _remembered(lambda call, _c: call.params().get("state") == "SCHEDULED")

    def on_request(call: Call, backend: CampaignBackend) -> None:
        remember(call, backend)
        for ident, when in list(old.items()):
            campaign = _find(backend, ident)
            if campaign is None or campaign.state not in (State.READY, State.SCHEDULED):
                del old[ident]  # deleted or moved on: nothing of the old timer is left
            elif campaign.state is State.SCHEDULED and campaign.when == when <= backend.clock.now():
                del old[ident]
                backend.force_state(ident, State.READY)  # the old timer fires: it sends

    install(app, on_request=on_request)


variant(
    "m4_back_to_scheduled_still_starts",
    ("M-4",),
    ("M-4",),
    "M-4.scheduled-stays, path=ready_back_to_scheduled: a READY campaign moved back to "
    "SCHEDULED still starts at its old `when`",
)(_back_to_scheduled_starts)


def _shows_after_change(
    picks: Callable[[Call, Any], bool],
    shown: Callable[[dict[str, Any], int, float], str | None],
) -> Callable[[Flask], None]:
    """GETs of a campaign a PUT `picks` while READY show `shown(campaign, old when, now)`."""

    def apply(app: Flask) -> None:
        old, remember = _remembered(picks)

        def on_response(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
            campaign = _campaign(doc)
            if call.method == "GET" and campaign is not None and campaign["id"] in old:
                state = shown(campaign, old[campaign["id"]], b.clock.now())
                campaign["state"] = state or campaign["state"]
            return status

        install(app, on_request=remember, on_response=on_response)

    return apply


def _new_when(call: Call) -> int | None:
    value = call.params().get("when")
    return int(value) if isinstance(value, str) and value.isdigit() else None


variant(
    "m4_moved_later_starts_at_old_when",
    ("M-4",),
    ("M-4",),
    "M-4.ready-not-before-when, path=when_moved_later: a READY campaign whose `when` moved "
    "later starts at the old one",
)(
    _shows_after_change(
        lambda call, c: (_new_when(call) or 0) > (c.when or 0),
        lambda c, old, now: "SENDING" if c["state"] == "READY" and now >= old else None,
    )
)
variant(
    "m4_moved_earlier_waits_for_old_when",
    ("M-4",),
    ("M-4",),
    "M-4.ready-sends-once-when-came, path=when_moved_earlier: a READY campaign whose `when` "
    "moved earlier waits for the old one",
)(
    _shows_after_change(
        lambda call, c: 0 < (_new_when(call) or c.when or 0) < (c.when or 0),
        lambda c, old, now: "READY" if now < old else None,
    )
)
variant(
    "m4_rename_cancels_start",
    ("M-4",),
    ("M-4",),
    "M-4.ready-sends-once-when-came, path=edited_before_when: a READY campaign renamed "
    "before its `when` never starts",
)(
    _shows_after_change(
        lambda call, _c: set(call.params()) == {"name"},
        lambda _c, _old, _now: "READY",
    )
)


def _rearmed_never_starts(app: Flask) -> None:
    """READY -> SCHEDULED -> READY: the second READY arms no timer (shown READY for ever)."""
    paused: set[int] = set()
    rearmed: set[int] = set()

    def on_response(call: Call, status: int, doc: dict[str, Any], b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if campaign is None:
            return status
        ident, asked = campaign["id"], call.params().get("state")
        if call.method == "PUT" and asked == "SCHEDULED" and campaign["state"] == "SCHEDULED":
            paused.add(ident)
        elif call.method == "PUT" and asked == "READY" and ident in paused:
            rearmed.add(ident)
        if call.method == "GET" and ident in rearmed:
            campaign["state"] = "READY"
        return status

    install(app, on_response=on_response)


variant(
    "m4_rearmed_ready_never_starts",
    ("M-4",),
    ("M-4",),
    "M-4.ready-sends-once-when-came, path=scheduled_back_to_ready: READY, back to SCHEDULED "
    "and READY again never starts",
)(_rearmed_never_starts)

callback_variant(
    "e2_clicked_before_delivered",
    ("E-2",),
    ("E-2",),
    "E-2.opens-only-after-delivered, event=clicked: email `clicked` says a `when` 120 s before "
    "its `delivered` (`opened` keeps its place)",
)(_transport(_split_and_shift(("delivered", "clicked"), "clicked", -120)))
callback_variant(
    "e2_bounced_before_submitted",
    ("E-2",),
    ("E-2",),
    "E-2.submitted-before-outcome, outcome=bounced: email `bounced` says a `when` 60 s before "
    "`submitted` (`delivered` keeps its place)",
)(_transport(_split_and_shift(("submitted", "bounced"), "bounced", -60)))
callback_variant(
    "e2_sms_no_outcome",
    ("E-2",),
    ("E-2",),
    "E-2.an-outcome, channel=sms: SMS `delivered` is never reported (email's is)",
)(_transport(_swallow(_only("delivered", "telephone"))))


def _sms_delivered_then_bounced(url: str, body: bytes, post: Post) -> int:
    status = post(url, body)
    rest, name, addresses = _split_body(body)
    if name == "telephone" and dict(rest).get("event") == "delivered" and 200 <= status < 300:
        post(url, _body(_changed(rest, event="bounced"), name, addresses))
    return status


callback_variant(
    "e2_sms_delivered_then_bounced",
    ("E-2",),
    ("E-2",),
    "E-2.not-both-outcomes, channel=sms: delivered SMS are then reported bounced too",
)(_transport(_sms_delivered_then_bounced))
