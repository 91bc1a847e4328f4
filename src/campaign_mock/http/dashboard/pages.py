"""The mock's dashboard: pages for people at `/` and `/_mock/ui/`, server-rendered.

Jinja templates and one stylesheet and script in the package (no build step, no CDN); the
pages poll small HTML fragments (`/_mock/ui/part/...`) every second, so they follow a send
without reloading. The buttons POST to `/_mock/ui/do/...`, which call the same backend
methods as the control API's routes. Guarded like `/_mock/` (dashboard_guard.py); read
only except for those buttons; no password or API key is ever shown.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from campaign_mock.domain.errors import CampaignError, InvalidError, NotFoundError
from campaign_mock.domain.models import State
from campaign_mock.http.context import mock
from campaign_mock.http.dashboard.campaign import campaign_page
from campaign_mock.http.dashboard.records import fixtures_view, request_detail, request_views
from campaign_mock.http.dashboard.scrub import scrub
from campaign_mock.http.dashboard.views import (
    World,
    campaign_table,
    clock_view,
    moment,
    world_named,
)

NAME = "dashboard"
blueprint = Blueprint(
    NAME,
    __name__,
    template_folder="../../templates",
    static_folder="../../static",
    static_url_path="/_mock/ui/static",
)
#: The longest one press of "advance" may move the clock: ten years.
MAX_ADVANCE = 10 * 366 * 86_400.0


@blueprint.after_request
def _without_secrets(response: BaseResponse) -> BaseResponse:
    """Every page and fragment, scrubbed of the fixtures' secrets (dashboard_scrub.py)."""
    if response.mimetype in {"text/html", "application/json"} and not response.direct_passthrough:
        fixtures = mock().fixtures
        response.set_data(scrub(response.get_data(as_text=True), fixtures))
    return response


@blueprint.app_template_filter("moment")
def _moment_filter(at: float | None) -> str:
    return moment(at)


def _page(template: str, *, read_only: bool = False, **values: object) -> str:
    """A page; `read_only` (the API's own URL as a page) has no control and polls nothing."""
    return render_template(
        f"dashboard/{template}",
        clock=clock_view(),
        isolated=mock().isolated,
        here=request.full_path.rstrip("?"),
        read_only=read_only,
        **values,
    )


def _back_to(target: str | None) -> str:
    """Where a plain form goes back to: a path of this mock, never another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _chosen_state() -> str | None:
    chosen = request.args.get("state")
    return chosen if chosen in State.__members__ else None


def _world() -> World:
    found = world_named(request.args.get("world") or None)
    if found is None:
        raise NotFoundError(f"no world {request.args.get('world')!r}")
    return found


# -- pages -----------------------------------------------------------------------


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """The dashboard's icon (its pages link `static/favicon.svg`), for a browser that asks
    for `/favicon.ico` anyway: the dashboard's, so never a 404 in the API's request journal."""
    return blueprint.send_static_file("favicon.svg")


@blueprint.get("/")
def home() -> str:
    """What a browser opening the URL the mock prints sees: the campaigns."""
    return campaigns()


@blueprint.get("/_mock/ui/")
def campaigns() -> str:
    return _page("campaigns.html", title="Campaigns", table=campaign_table(_chosen_state()))


@blueprint.get("/_mock/ui/campaigns/<positive_int:ident>")
def campaign(ident: int) -> Response | str:
    try:
        shown = campaign_page(_world(), ident)
    except NotFoundError as exc:
        return Response(_page("missing.html", title="Not found", message=exc.message), 404)
    return _page("campaign.html", title=shown.row.name, page=shown, actions=True)


@blueprint.get("/_mock/ui/fixtures")
def fixtures() -> str:
    return _page("fixtures.html", title="Fixtures", fixtures=fixtures_view())


@blueprint.get("/_mock/ui/requests")
def requests() -> str:
    failed = request.args.get("failed") == "1"
    return _page(
        "requests.html", title="Requests", requests=request_views(failed_only=failed), failed=failed
    )


@blueprint.get("/_mock/ui/requests/<positive_int:seq>")
def one_request(seq: int) -> Response | str:
    found = request_detail(seq)
    if found is None:
        message = f"request {seq} is not in the journal (it keeps the newest only)"
        return Response(_page("missing.html", title="Not found", message=message), 404)
    view, envelope = found
    return _page("request.html", title=f"Request {seq}", view=view, envelope=envelope)


def api_campaign_page(data: dict[str, object], envelope: str) -> str:
    """V-1: the API's own answer about a campaign, for a browser: the dashboard's campaign
    page (read only, linked to the live one), with the JSON it would have got."""
    ident = data.get("id")
    assert isinstance(ident, int)
    account = g.get("account")
    shown = campaign_page(World(account, mock().world(account)), ident)
    page = _page(
        "api_campaign.html",
        read_only=True,
        title=shown.row.name,
        page=shown,
        actions=False,
        envelope=Markup(escape(envelope)),  # html.escape: `&quot;`, as the generic page
    )
    return scrub(page, mock().fixtures)


# -- live fragments --------------------------------------------------------------


@blueprint.get("/_mock/ui/part/clock")
def part_clock() -> str:
    return render_template("dashboard/_clock.html", clock=clock_view())


@blueprint.get("/_mock/ui/part/clock-controls")
def part_clock_controls() -> str:
    """The clock's buttons, those that fit its state; `?next=` is the page they go back to."""
    return render_template(
        "dashboard/_clock_controls.html",
        clock=clock_view(),
        here=_back_to(request.args.get("next")),
    )


@blueprint.get("/_mock/ui/part/campaigns")
def part_campaigns() -> str:
    return render_template(
        "dashboard/_campaigns.html",
        table=campaign_table(_chosen_state()),
        isolated=mock().isolated,
    )


@blueprint.get("/_mock/ui/part/campaigns/<positive_int:ident>")
def part_campaign(ident: int) -> str:
    return render_template(
        "dashboard/_campaign.html",
        page=campaign_page(_world(), ident),
        actions=True,
    )


@blueprint.get("/_mock/ui/part/requests")
def part_requests() -> str:
    failed = request.args.get("failed") == "1"
    return render_template(
        "dashboard/_requests.html",
        requests=request_views(failed_only=failed),
        isolated=mock().isolated,
    )


# -- the buttons -----------------------------------------------------------------


def _done(ok: bool, message: str, status: int = 200) -> BaseResponse:
    """JSON for the page's script; for a plain form, back to the page it came from."""
    if request.accept_mimetypes.best == "application/json":
        answer = jsonify({"ok": ok, "message": message})
        answer.status_code = status
        return answer
    return redirect(_back_to(request.form.get("next")), 303)


def _pressed(press: Callable[[], str]) -> BaseResponse:
    """One button: the core's operation, its refusal shown on the page (409, or 400 for a
    value the form got wrong)."""
    try:
        return _done(True, press())
    except InvalidError as exc:
        return _done(False, exc.message, 400)
    except CampaignError as exc:
        return _done(False, exc.message, 404 if isinstance(exc, NotFoundError) else 409)


@blueprint.post("/_mock/ui/do/redeliver/<positive_int:batch>")
def do_redeliver(batch: int) -> BaseResponse:
    def press() -> str:
        found = mock().redeliver(_world().name, batch)  # on a store: the sending instance
        return f"callback #{batch} of campaign {found.campaign} queued to go again"

    return _pressed(press)


@blueprint.post("/_mock/ui/do/flush")
def do_flush() -> BaseResponse:
    def press() -> str:
        mock().flush(_world().name)
        return "every event so far and every waiting retry goes out now"

    return _pressed(press)


@blueprint.post("/_mock/ui/do/abort/<positive_int:ident>")
def do_abort(ident: int) -> BaseResponse:
    reason = request.form.get("error") or "send aborted from the dashboard"

    def press() -> str:
        aborted = mock().abort(_world().name, ident, reason)
        return f"campaign {aborted.id} aborted: it ends in ERROR"

    return _pressed(press)


@blueprint.post("/_mock/ui/do/clock/freeze", defaults={"move": "freeze"})
@blueprint.post("/_mock/ui/do/clock/resume", defaults={"move": "resume"})
@blueprint.post("/_mock/ui/do/clock/advance", defaults={"move": "advance"})
def do_clock(move: str) -> BaseResponse:
    core = mock()

    def press() -> str:
        if move == "freeze":
            return f"clock frozen at {moment(core.freeze_clock())}"
        if move == "resume":
            core.resume_clock()
            return "clock running"
        try:
            seconds = float(request.form.get("seconds", ""))
        except ValueError:
            raise InvalidError(
                "seconds: must be a number", {"seconds": ["is not a number"]}
            ) from None
        if not 0 < seconds <= MAX_ADVANCE:
            message = "must be more than 0 and at most ten years"
            raise InvalidError(f"seconds: {message}", {"seconds": [message]})
        return f"clock moved {seconds:g} s to {moment(core.advance_clock(seconds).now)}"

    return _pressed(press)
