"""One-cell broken variants of the M, A, E and C clauses: each breaks its clause in one cell of
its domain only (one edge, one state, one channel, one event type) and conforms elsewhere.

M ones are stateful-layer variants (test_variants.py); A, E and C ones are callbacks-layer
variants (test_callback_variants.py). src/campaign_contract/coverage lists each under its clause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import State
from campaign_mock.http.context import mock_of

from .callback_variants import (
    ENGAGEMENT_AFTER_DONE,
    SETTINGS,
    Post,
    _event,
    _settings,
    _transport,
    callback_variant,
)
from .clause_variants_meac import (
    ERROR_LIST,
    Pairs,
    Rewrite,
    _body,
    _changed,
    _drops_after,
    _on_request,
    _refusal,
    _send_with,
    _split_body,
    _wire,
)
from .middleware import Call, install
from .variants import _campaign, _state, variant


def _answer_put(
    current: State, target: str, answer: Callable[[Call, CampaignBackend], None], **fields: str
) -> Callable[[Call, CampaignBackend], None]:
    def on_request(call: Call, backend: CampaignBackend) -> None:
        params = call.params()
        if (
            call.method == "PUT"
            and params.get("state") == target
            and all(params.get(k) == v for k, v in fields.items())
            and _state(backend, call.campaign_id) is current
        ):
            answer(call, backend)

    return on_request


def _accept(**shown: object) -> Callable[[Call, CampaignBackend], None]:
    """Answer success showing `shown` on the campaign, applying nothing."""

    def answer(call: Call, backend: CampaignBackend) -> None:
        call.answer = _wire(backend, call.campaign_id, **shown)

    return answer


def _refuse(code: str) -> Callable[[Call, CampaignBackend], None]:
    def answer(call: Call, _backend: CampaignBackend) -> None:
        call.answer = _refusal(code, f"refused as {code}")

    return answer


# -- M-2: one refused edge, one stay-put state ------------------------------------------------

variant(
    "m2_ready_to_done_accepted",
    ("M-2",),
    ("M-2",),
    "PUT READY -> DONE is accepted (every other edge as the table says)",
)(_on_request(_answer_put(State.READY, "DONE", _accept(state="DONE"))))
variant(
    "m2_scheduled_to_sending_invalid",
    ("M-2",),
    ("M-2",),
    "PUT SCHEDULED -> SENDING is refused `invalid`, not `conflict` (that edge only)",
)(_on_request(_answer_put(State.SCHEDULED, "SENDING", _refuse("invalid"))))
variant(
    "m2_stay_put_refused_in_scheduled",
    ("M-2",),
    ("M-2",),
    "PUT SCHEDULED -> SCHEDULED is a conflict (DRAFT and READY stay put)",
)(_on_request(_answer_put(State.SCHEDULED, "SCHEDULED", _refuse("conflict"))))

# -- M-3: one state, one way of missing `when` -------------------------------------------------

variant(
    "m3_ready_put_clears_when",
    ("M-3",),
    ("M-3",),
    'PUT SCHEDULED -> READY with `when=""` is accepted (READY without when; POSTs refused)',
)(_on_request(_answer_put(State.SCHEDULED, "READY", _accept(state="READY", when=None), when="")))

# -- M-5: one target of a PUT in one sent state ------------------------------------------------

variant(
    "m5_done_to_draft_accepted",
    ("M-5",),
    ("M-5",),
    "PUT DONE -> DRAFT is accepted (every other PUT in DONE a conflict)",
)(_on_request(_answer_put(State.DONE, "DRAFT", _accept(state="DRAFT"))))


# -- A, E, C: one channel, one event type, one audience ---------------------------------------


def _rewrite(change: Callable[[str, Pairs, str, list[str], Post], int | None]) -> Rewrite:
    """A transport rewrite that sees the URL and the body's parts; None posts it unchanged."""

    def rewrite(url: str, body: bytes, post: Post) -> int:
        rest, name, addresses = _split_body(body)
        answered = change(url, rest, name, addresses, post)
        return post(url, body) if answered is None else answered

    return rewrite


def _is(rest: Pairs, name: str, event: str, key: str) -> bool:
    """The body reports `event` under the address key `key` (`email` or `telephone`)."""
    return dict(rest).get("event") == event and name == key


#: A contact of the built-in list 1 in segment 2 only, with an email only.
SEGMENT_MEMBER = "carla@example.com"
#: The emails of built-in contacts that also have a telephone (lists 1 and 2).
BOTH = {"ana@example.com", "bruno@example.com", "duarte@example.com", "gil@example.com"}


def _segment_member_left_out(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    # The suite's per-send URLs name the send (…/segments-1?…): only sends to segments.
    if "/segments-" not in url.split("?", 1)[0] or SEGMENT_MEMBER not in addresses:
        return None
    kept = [a for a in addresses if a != SEGMENT_MEMBER]
    return post(url, _body(rest, name, kept)) if kept else 200


callback_variant(
    "a1_segment_contact_left_out",
    ("A-1",),
    ("A-1",),
    "a send limited to segments leaves out one of their contacts (whole lists are whole)",
)(_transport(_rewrite(_segment_member_left_out)))


def _no_email_when_both(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    if name != "email" or not BOTH & set(addresses):
        return None
    kept = [a for a in addresses if a not in BOTH]
    return post(url, _body(rest, name, kept)) if kept else 200


callback_variant(
    "a2p_no_email_when_both",
    ("A-2p",),
    ("A-2",),
    "contacts with both addresses get their SMS but no Email (one-address contacts get theirs)",
)(_transport(_rewrite(_no_email_when_both)))


def _sms_bounced_renamed(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    if not _is(rest, name, "bounced", "telephone"):
        return None
    return post(url, _body(_changed(rest, event="failed"), name, addresses))


callback_variant(
    "e1_sms_bounced_renamed",
    ("E-1",),
    ("E-1",),
    "SMS `bounced` is reported as `failed` (every other event type as E-1 names it)",
)(_transport(_rewrite(_sms_bounced_renamed)))


def _sms_bounced_swallowed(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    return 200 if _is(rest, name, "bounced", "telephone") else None


callback_variant(
    "c1_sms_bounced_never_reported",
    ("C-1",),
    ("C-1",),
    "SMS `bounced` is never reported (email `bounced` is)",
)(_transport(_rewrite(_sms_bounced_swallowed)))


def _sms_delivered_by_put(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    if not _is(rest, name, "delivered", "telephone"):
        return None
    return _send_with("PUT", url, _body(rest, name, addresses))


callback_variant(
    "c1_sms_delivered_by_put",
    ("C-1",),
    ("C-1",),
    "SMS `delivered` callbacks are made with PUT (every other one with POST)",
)(_transport(_rewrite(_sms_delivered_by_put)))


def _clicked_query_dropped(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    if not _is(rest, name, "clicked", "email"):
        return None
    return post(url.split("?", 1)[0], _body(rest, name, addresses))


callback_variant(
    "c1_clicked_query_dropped",
    ("C-1",),
    ("C-1",),
    "email `clicked` callbacks lose the URL's query string (every other keeps it)",
)(_transport(_rewrite(_clicked_query_dropped)))


def _sms_when_iso(url: str, rest: Pairs, name: str, addresses: list[str], post: Post) -> int | None:
    if name != "telephone":
        return None
    when = dt.datetime.fromtimestamp(int(dict(rest)["when"]), dt.UTC).isoformat()
    return post(url, _body(_changed(rest, when=when), name, addresses))


callback_variant(
    "c2_sms_when_iso",
    ("C-2",),
    ("C-2",),
    "SMS callbacks give `when` as an ISO string (email ones as Unix time)",
)(_transport(_rewrite(_sms_when_iso)))


# -- C-3: one event type on one channel late, one event type's `when` not the earliest ---------


def _sms_delivered_late(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    """SMS `delivered` callbacks say their events came 900 s before (made 900 s after them)."""
    if not _is(rest, name, "delivered", "telephone"):
        return None
    when = str(int(dict(rest)["when"]) - 900)
    return post(url, _body(_changed(rest, when=when), name, addresses))


callback_variant(
    "c3_sms_delivered_late",
    ("C-3",),
    ("C-3",),
    "C-3.within-300-s, channel=sms event=delivered: those callbacks come 900 s after their "
    "events (every other callback within the window)",
)(_transport(_rewrite(_sms_delivered_late)))


def _submitted_when_latest(
    url: str, rest: Pairs, name: str, addresses: list[str], post: Post
) -> int | None:
    """Email `submitted` callbacks of several events say `when` at their window's end: the
    latest of the window's events, not the earliest (one event alone keeps its own)."""
    if not _is(rest, name, "submitted", "email") or len(addresses) < 2:
        return None
    when = str(int(dict(rest)["when"]) + int(SETTINGS["window"]) - 1)
    return post(url, _body(_changed(rest, when=when), name, addresses))


callback_variant(
    "c3p_submitted_when_latest",
    ("C-3p",),
    ("C-3",),
    "C-3.earliest-when, event=submitted: email `submitted` callbacks of several events give "
    "their window's end as `when` (every other event type's `when` is its earliest)",
)(_transport(_rewrite(_submitted_when_latest)))


# -- M-1: one way each way a send ends ----------------------------------------------------------


def _error_send_back_to_ready(app: Flask) -> None:
    """The GET after the first that showed a campaign of the error list past READY reads READY
    (once): such a send may end before a read shows it SENDING, and ERROR is past SENDING."""
    shown: set[int] = set()
    flipped: set[int] = set()

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        campaign = _campaign(doc)
        if call.method != "GET" or campaign is None or campaign["list"] != ERROR_LIST:
            return status
        if campaign["id"] in shown and campaign["id"] not in flipped:
            flipped.add(campaign["id"])
            campaign["state"] = "READY"
        elif campaign["state"] in ("SENDING", "ERROR"):
            shown.add(campaign["id"])
        return status

    install(app, on_response=on_response)


variant(
    "m1_error_send_back_to_ready",
    ("M-1",),
    ("M-1",),
    "M-1.ready-sending-one-way, ends_in=ERROR: a send to the error list reads READY once "
    "after a read showed it SENDING or ERROR; a send that ends in DONE goes one way",
)(_error_send_back_to_ready)


# -- C-4: one status, one way of getting no answer; C-1/M-4: one engagement event ------------


def _registered_2xx_only(url: str, body: bytes, post: Post) -> int:
    status = post(url, body)
    return 500 if status == 299 else status


callback_variant(
    "c4_299_not_acknowledged",
    ("C-4",),
    ("C-4",),
    "C-4.any-2xx-acknowledges, status=299: only registered 2xx codes acknowledge, so a 299 is "
    "taken as a failure and retried (every other 2xx acknowledges)",
)(_transport(_registered_2xx_only))
callback_variant(
    "c4_410_not_retried",
    ("C-4",),
    ("C-4",),
    "C-4.other-status-retried, status=410: a callback answered 410 Gone is dropped (every other "
    "status is retried)",
)(lambda app: _transport(_drops_after(status_dropped=lambda s: s == 410))(app))
callback_variant(
    "c4_refused_not_retried",
    ("C-4",),
    ("C-4",),
    "C-4.no-answer-retried, failure=refused_connection: a callback whose connection is refused "
    "is dropped (no answer in time is retried)",
)(lambda app: _transport(_drops_after(error_dropped="refused"))(app))


def _no_clicks_once_done(backend: CampaignBackend) -> Callable[[str, bytes, Post], int]:
    def rewrite(url: str, body: bytes, post: Post) -> int:
        if _event(body) == "clicked":
            owner = next((c for c in backend.campaigns() if c.event_callback == url), None)
            if owner is not None and owner.state is State.DONE:
                return 200  # dropped, as if acknowledged
        return post(url, body)

    return rewrite


@callback_variant(
    "c1_no_clicks_after_done",
    ("C-1", "M-4"),
    ("C-1",),
    "C-1.every-event-known-engagement and M-4.opened-clicked-after-done, event=clicked: "
    "`clicked` is no longer reported once the campaign is DONE (`opened` still is)",
)
def _c1_no_clicks_after_done(app: Flask) -> None:
    _settings(ENGAGEMENT_AFTER_DONE)(app)  # opens and clicks come after DONE (see c1_no_opens…)
    _transport(_no_clicks_once_done(mock_of(app).root))(app)
