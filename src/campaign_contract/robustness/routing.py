"""Routing (V-4 step 1 and 4) and the resource paths (R-1)."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.targets import HUGE_ID, MISSING, NOT_IDS


@check("V-4", "V-3p")
def absurd_ids_are_routing_404(t: Probe) -> None:
    """An id that is not a positive integer is a 404, before authentication."""
    for raw in NOT_IDS:
        for method in ("GET", "PUT", "DELETE"):
            t.begin()
            t.expect_rejected(t.request(method, f"/campaign/{raw}", auth=None), 404)


@check("V-4", "V-3p")
def unknown_paths_are_404(t: Probe) -> None:
    """A path that does not exist is a 404, before authentication."""
    for path in ("/campaigns", "/campaign/1/extra", "/cc-no-such-path"):
        t.begin()
        t.expect_rejected(t.get(path, auth=None), 404)


@check("V-4", "V-3p")
def unknown_methods_are_405(t: Probe) -> None:
    """A method the path does not have is a 405, before authentication."""
    for method, path in (
        ("PATCH", "/campaign/1"),
        ("POST", "/campaign/1"),
        ("GET", "/campaign"),
        ("PUT", "/campaign"),
        ("DELETE", "/campaign"),
    ):
        t.begin()
        t.expect_rejected(t.request(method, path, auth=None), 405)


@check("V-4")
def head_and_options_answered_where_get_is(t: Probe) -> None:
    """HEAD and OPTIONS are answered on /campaign/{id} (not 405, never 5xx)."""
    path = f"/campaign/{t.campaign_id() or HUGE_ID}"
    for method in ("HEAD", "OPTIONS"):
        t.begin()
        answer = t.request(method, path)
        if not answer.answered or answer.status == 405 or (answer.status or 0) >= 500:
            t.fail("V-4", f"{method} is not answered where GET is: {answer.describe()}", answer)


@check("V-4", "V-3p")
def missing_id_is_404_after_auth(t: Probe) -> None:
    """A well-formed id that matches nothing is a 404 once authenticated, before the application."""
    t.expect_rejected(t.get(MISSING), 404)
    t.begin()
    t.expect_rejected(t.put(MISSING, form={"name": t.ctx.campaign_name("missing")}), 404)
    t.begin()
    t.expect_rejected(t.delete(MISSING), 404)


@check("V-4", "V-3p")
def deleted_id_is_404(t: Probe) -> None:
    """A deleted campaign's id is a 404 for GET, PUT and DELETE."""
    created = t.ctx.create_campaign("deleted")
    campaign_id = t.ctx.note_created(created)
    if campaign_id is None:
        t.skip(f"could not create a campaign to delete: {created.describe()}")
    deleted = t.delete(f"/campaign/{campaign_id}")
    if deleted.success() is not True:
        t.skip(f"could not delete the campaign it created: {deleted.describe()}")
    path = f"/campaign/{campaign_id}"
    t.expect_rejected(t.get(path), 404)
    t.expect_rejected(t.put(path, form={"name": t.ctx.campaign_name("deleted")}), 404)
    t.expect_rejected(t.delete(path), 404)


@check("R-1")
def campaign_paths_exist(t: Probe) -> None:
    """POST /campaign creates a campaign and GET /campaign/{id} returns it."""
    created = t.ctx.shared_campaign()
    t.use(created)
    if not created.answered or created.status in (404, 405):
        t.fail("R-1", f"POST /campaign is not routed: {created.describe()}", created)
        return
    campaign_id = t.campaign_id()
    if campaign_id is None:
        t.unexercised("R-1", f"POST /campaign created nothing: {created.describe()}")
        return
    found = t.get(f"/campaign/{campaign_id}")
    if found.success() is not True or found.data().get("id") != campaign_id:
        t.fail("R-1", f"GET /campaign/{campaign_id} does not return it: {found.describe()}", found)
