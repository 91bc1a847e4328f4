"""Judgements over every response of the run: the envelope (V-2), no 5xx or drop (V-4)."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.wire import judge_answer

#: The methods a run sends (every one of them judged on every answer it got).
RUN_METHODS: Final = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH")


@check("V-2", "V-4", final=True)
def every_response_of_the_run(t: Probe) -> None:
    """Every JSON response of the run is the envelope; none is a 5xx or a dropped connection."""
    history = list(t.client.history)
    if not history:
        t.skip("the run made no requests")
    for answer in history:
        judge_answer(t, answer)
        if answer.method in RUN_METHODS:
            t.exercised("V-4.never-a-5xx", method=answer.method)
            t.exercised("V-4.never-a-dropped-connection", method=answer.method)
