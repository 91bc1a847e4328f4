"""Routing (V-4 step 1 and 4) and the resource paths (R-1)."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.routes import LACKING
from campaign_contract.robustness.targets import HUGE_ID, MISSING, NOT_IDS
from campaign_contract.transport.exchange import Exchange

ABSURD_CLAUSE = "V-4.id-not-positive-integer-is-404"
UNKNOWN_PATH_CLAUSE = "V-4.unknown-path-is-404"
METHOD_CLAUSE = "V-4.method-not-there-is-405"
HEAD_CLAUSE = "V-4.head-answered-where-get-is"
OPTIONS_CLAUSE = "V-4.options-answered-where-get-is"
NOT_FOUND_CODE = "V-3.code-not-found"
METHOD_CODE = "V-3.code-method-not-allowed"
#: The methods whose 404 carries a body, so a `data.code` (HEAD has none; OPTIONS may be
#: answered by a server's framework before routing).
CODED: Final = ("GET", "POST", "PUT", "DELETE")
#: The path forms R-1p makes equal: as written, and with a trailing slash.
FORMS: Final = (("plain", ""), ("slash", "/"))
ALL_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS")
UNKNOWN_PATHS: Final = ("/campaigns", "/campaign/1/extra", "/cc-no-such-path")


def _expect_routed(t: Probe, answer: Exchange, status: int) -> None:
    """A routing failure: the status, and the envelope unless HEAD (which has no body)."""
    if answer.method == "HEAD":
        t.expect_status("V-4", answer, status)
    else:
        t.expect_rejected(answer, status)


def _coded(t: Probe, cause: str, method: str) -> None:
    """The 404 just judged also judged its `data.code` (V-3p) on this cell."""
    if method in CODED:
        t.exercised(NOT_FOUND_CODE, cause=cause, method=method)
        t.exercised("V-3.code-is-present", code="not_found")


@check("V-4", "V-3p")
def absurd_ids_are_routing_404(t: Probe) -> None:
    """An id that is not a positive integer is a 404 before authentication, for every method
    and with or without the trailing slash."""
    for raw in NOT_IDS:
        for method in ALL_METHODS:
            for form, slash in FORMS:
                t.begin()
                answer = t.request(method, f"/campaign/{raw}{slash}", auth=None)
                t.exercised(ABSURD_CLAUSE, id=raw, method=method, form=form)
                _expect_routed(t, answer, 404)
                _coded(t, "not an id", method)


@check("V-4", "V-3p")
def unknown_paths_are_404(t: Probe) -> None:
    """A path that does not exist is a 404, before authentication, for every method."""
    for path in UNKNOWN_PATHS:
        for method in ALL_METHODS:
            t.begin()
            answer = t.request(method, path, auth=None)
            t.exercised(UNKNOWN_PATH_CLAUSE, path=path, method=method)
            _expect_routed(t, answer, 404)
            _coded(t, "unknown path", method)


@check("V-4", "V-3p")
def unknown_methods_are_405(t: Probe) -> None:
    """Every method a path does not have is a 405, before authentication, on every path and
    with or without the trailing slash."""
    item = f"/campaign/{t.campaign_id() or HUGE_ID}"
    for endpoint, path, slashes in (
        ("/campaign", "/campaign", FORMS),
        ("/campaign/{id}", item, FORMS),
        ("/login/", "/login/", FORMS[:1]),
        ("/logout/", "/logout/", FORMS[:1]),
    ):
        for method in LACKING[endpoint]:
            for form, slash in slashes:
                t.begin()
                answer = t.request(method, path + slash, auth=None)
                t.exercised(METHOD_CLAUSE, endpoint=endpoint, method=method, form=form)
                t.exercised(METHOD_CODE, endpoint=endpoint, method=method, form=form)
                _expect_routed(t, answer, 405)
    t.exercised("V-3.code-is-present", code="method_not_allowed")


@check("V-4")
def head_and_options_answered_where_get_is(t: Probe) -> None:
    """HEAD and OPTIONS are answered wherever GET is: /campaign/{id} and /campaign/{id}/, for a
    campaign that exists and one that does not (not 405, never 5xx)."""
    campaign_id = t.campaign_id()
    ids = [("missing", HUGE_ID)]
    if campaign_id is not None:
        ids.insert(0, ("existing", str(campaign_id)))
    else:
        for clause in (HEAD_CLAUSE, OPTIONS_CLAUSE):
            t.cannot(clause, "no campaign could be created to ask for", id="existing")
    for method in ("HEAD", "OPTIONS"):
        for kind, ident in ids:
            for form, slash in FORMS:
                t.begin()
                answer = t.request(method, f"/campaign/{ident}{slash}")
                clause = HEAD_CLAUSE if method == "HEAD" else OPTIONS_CLAUSE
                t.exercised(clause, id=kind, form=form)
                if not answer.answered or answer.status == 405 or (answer.status or 0) >= 500:
                    t.fail(
                        "V-4",
                        f"{method} {answer.url} is not answered where GET is: {answer.describe()}",
                        answer,
                    )


#: The methods an item path has (V-4 step 4 answers each of them; OPTIONS may be answered
#: before routing, see "Where servers may differ").
ITEM_METHODS: Final = ("GET", "HEAD", "PUT", "DELETE")


def _item_404s(t: Probe, clause: str, path: str, cause: str) -> None:
    """Every method of an item path, in both path forms, is a 404 for this id (step 4)."""
    for method in ITEM_METHODS:
        for form, slash in FORMS:
            t.begin()
            fields = {"form": {"name": t.ctx.campaign_name(cause)}} if method == "PUT" else {}
            answer = t.request(method, path + slash, **fields)
            if method == "HEAD":
                t.expect_status("V-4", answer, 404)
            else:
                t.expect_rejected(answer, 404)
                _coded(t, cause, method)
            t.exercised(clause, method=method, form=form)


@check("V-4", "V-3p")
def missing_id_is_404_after_auth(t: Probe) -> None:
    """A well-formed id that matches nothing is a 404 once authenticated, before the
    application, for every method of the path, with or without the trailing slash."""
    _item_404s(t, "V-4.missing-id-is-404", MISSING, "missing id")


@check("V-4", "V-3p")
def deleted_id_is_404(t: Probe) -> None:
    """A deleted campaign's id is a 404 for every method of the path, in both path forms."""
    created = t.ctx.create_campaign("deleted")
    campaign_id = t.ctx.note_created(created)
    if campaign_id is None:
        t.skip(f"could not create a campaign to delete: {created.describe()}")
    deleted = t.delete(f"/campaign/{campaign_id}")
    if deleted.success() is not True:
        t.skip(f"could not delete the campaign it created: {deleted.describe()}")
    _item_404s(t, "V-4.deleted-id-is-404", f"/campaign/{campaign_id}", "deleted id")


ITEM_PATH_CLAUSE = "R-1.item-path"


@check("R-1")
def campaign_paths_exist(t: Probe) -> None:
    """POST /campaign creates a campaign, and /campaign/{id} is its path for GET, PUT and
    DELETE (on a campaign of the check's own: the shared one is only read)."""
    created = t.ctx.shared_campaign()
    t.use(created)
    if not created.answered or created.status in (404, 405):
        t.fail("R-1", f"POST /campaign is not routed: {created.describe()}", created)
        return
    campaign_id = t.campaign_id()
    if campaign_id is None:
        t.unexercised("R-1", f"POST /campaign created nothing: {created.describe()}")
        return
    t.exercised("R-1.collection-path")
    t.begin()
    own = t.ctx.note_created(t.ctx.create_campaign("r1 item"))
    if own is None:
        t.cannot(ITEM_PATH_CLAUSE, "a second campaign could not be created")
        return
    path = f"/campaign/{own}"
    for method, fields in (
        ("GET", {}),
        ("PUT", {"form": {"name": t.ctx.campaign_name("r1 put")}}),
        ("DELETE", {}),
    ):
        answer = t.request(method, path, **fields)
        if answer.success() is not True or answer.data().get("id") != own:
            t.fail("R-1", f"{method} {path} does not answer the campaign: {answer.describe()}",
                   answer)  # fmt: skip
        t.exercised(ITEM_PATH_CLAUSE, method=method)
