"""One-cell broken variants of the M, A, E and C clauses: each breaks its clause in one cell of
its domain only (one edge, one state, one channel, one event type) and conforms elsewhere.

M ones are stateful-layer variants (test_variants.py); A, E and C ones are callbacks-layer
variants (test_callback_variants.py). src/campaign_contract/coverage lists each under its clause.
"""

from __future__ import annotations

from collections.abc import Callable

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import State

from .clause_variants_meac import _on_request, _refusal, _wire
from .middleware import Call
from .variants import _state, variant


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
