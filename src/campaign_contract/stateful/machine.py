"""Random CRUD sequences over HTTP against the plain model (Hypothesis RuleBasedStateMachine)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, NoReturn

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    multiple,
    rule,
    run_state_machine_as_test,
)

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.machine import (
    FINAL,
    SENT,
    STATES,
    Expected,
    ModelCampaign,
    expect,
    judge_outcome,
    judge_transition,
    judge_view,
    possible_states,
)
from campaign_contract.schema.target import FUTURE, foreign_segment, past, segment_ids
from campaign_contract.stateful.reach import wait_until
from campaign_contract.transport.exchange import Exchange

ABSENT: Final = "<absent>"
RULES: Final = ("M-1", "M-2", "M-3", "M-4", "M-5", "R-2", "R-3", "Q-4", "Q-5p", "Q-6s")


class Violation(AssertionError):
    """A broken rule found in one sequence; Hypothesis shrinks the sequence, then it is reported."""

    def __init__(self, rule: str, message: str, exchange: Exchange | None) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
        self.exchange = exchange


class Strict(Verdicts):
    """The judges' `Verdicts` inside a sequence: the first finding stops it as a `Violation`,
    so Hypothesis shrinks the sequence before the check reports it."""

    def __init__(self) -> None:
        super().__init__("stateful.random_sequences", RULES, RULES)

    def fail(
        self,
        rule: str,
        message: str,
        exchange: Exchange | None = None,
        *,
        evidence: Sequence[Exchange] | None = None,
    ) -> NoReturn:
        raise Violation(rule, message, exchange)


def machine_for(t: Probe) -> type[RuleBasedStateMachine]:
    """A machine class bound to this run's probe and config."""
    config = t.ctx.config
    strict = Strict()
    own = segment_ids(t)
    stray = foreign_segment(t)
    empty = config.empty_list
    lists = [config.lists[0].id] + ([empty] if empty is not None else [])
    names = st.sampled_from(["ok", "ok", "", "  ", "n" * 256])
    whens = st.sampled_from([None, FUTURE, "past"] if empty is not None else [None, FUTURE])
    segments = st.lists(st.sampled_from([*own, stray]), max_size=3)
    #: Once a send overran limits.send_wait, later sequences stop sending: waiting again in
    #: every sequence (and while shrinking) would take minutes. The overrun is reported once.
    stuck: list[str] = []

    def wait_final(ident: int) -> str | None:
        if stuck:
            return None
        state, _answer = wait_until(t, ident, FINAL, config.limits.send_wait)
        if state not in FINAL:
            stuck.append(f"campaign {ident} still {state} after {config.limits.send_wait:g} s")
            t.unexercised("M-4", f"sends stopped in the random sequences: {stuck[0]}")
        return state

    class CampaignMachine(RuleBasedStateMachine):
        ids = Bundle("ids")

        def __init__(self) -> None:
            super().__init__()
            t.begin()
            self.model: dict[int, ModelCampaign] = {}
            self.deleted: set[int] = set()

        def teardown(self) -> None:
            for ident, campaign in list(self.model.items()):
                if campaign.sends:
                    wait_final(ident)
                t.delete(f"/campaign/{ident}")

        def _name(self, choice: str) -> str:
            return t.ctx.campaign_name("machine") if choice == "ok" else choice

        def _when(self, choice: Any, list_id: int) -> int | None:
            if choice == "past":
                return past() if list_id == empty and not stuck else FUTURE
            return choice if isinstance(choice, int) else None

        def _judge(self, answer: Exchange, outcome: Expected) -> bool:
            return judge_outcome(strict, outcome, answer)

        def _compare(self, campaign: ModelCampaign, answer: Exchange, rule: str) -> None:
            judge_view(strict, campaign, answer, rule)
            # Every server clock reads before FUTURE (2100): the sequences' whens are FUTURE
            # or an hour ago, so READY past its `when` may have started.
            possible = possible_states(campaign.state, campaign.when, FUTURE - 1)
            campaign.state = judge_transition(strict, possible, answer) or campaign.state

        def _settle(self, campaign: ModelCampaign) -> None:
            """M-4: READY with a past `when` must leave READY by itself."""
            if campaign.state == "READY" and campaign.when is not None and campaign.when < FUTURE:
                campaign.sends = True
                state, answer = wait_until(t, campaign.id, SENT, config.limits.send_wait)
                if state not in SENT:
                    # Reported softly, not shrunk: each replay would wait out the limit again.
                    stuck.append(f"campaign {campaign.id} stays {state}")
                    t.fail("M-4", f"READY with a past `when` stays {state}", answer)
                    return
                campaign.state = str(state)

        @rule(
            target=ids,
            name=names,
            state=st.sampled_from(STATES),
            when=whens,
            segs=segments,
            list_id=st.sampled_from(lists),
            as_json=st.booleans(),
        )
        def create(
            self, name: str, state: str, when: Any, segs: list[int], list_id: int, as_json: bool
        ) -> Any:
            moment = self._when(when, list_id)
            segs = segs if list_id == config.lists[0].id else []
            fields: dict[str, Any] = {
                "name": self._name(name),
                "domain": config.domains.bouncing,
                "list": list_id,
                "state": state,
                "segments": segs,
            }
            if moment is not None:
                fields["when"] = moment
            outcome = expect(
                current=None,
                target=state,
                when=moment,
                name_ok=name == "ok",
                segments_ok=set(segs) <= set(own),
            )
            answer = self._send("POST", "/campaign", fields, as_json)
            if not self._judge(answer, outcome):
                return multiple()
            ident = answer.data()["id"]
            if ident in self.deleted or ident in self.model:
                raise Violation("M-5", f"id {ident} is given again", answer)
            campaign = ModelCampaign(
                ident,
                fields["name"],
                config.domains.bouncing,
                list_id,
                list(dict.fromkeys(segs)),
                state,
                moment,
                None,
            )
            self.model[ident] = campaign
            self._compare(campaign, answer, "R-3")
            self._settle(campaign)
            return ident

        @rule(
            ident=ids,
            name=st.sampled_from([ABSENT, "ok", "", "n" * 256]),
            state=st.sampled_from([ABSENT, *STATES]),
            when=st.one_of(st.just(ABSENT), whens),
            segs=st.one_of(st.just(ABSENT), segments),
            as_json=st.booleans(),
        )
        def update(
            self, ident: int, name: str, state: str, when: Any, segs: Any, as_json: bool
        ) -> None:
            campaign = self.model.get(ident)
            if campaign is None or (campaign.sends and stuck):
                return
            if campaign.sends:
                campaign.state = wait_final(ident) or campaign.state
            fields: dict[str, Any] = {}
            if name != ABSENT:
                fields["name"] = self._name(name)
            if state != ABSENT:
                fields["state"] = state
            if when != ABSENT:
                fields["when"] = self._when(when, campaign.list)
            if segs != ABSENT:
                fields["segments"] = segs
            moment = fields.get("when", campaign.when)
            outcome = expect(
                current=campaign.state,
                target=fields.get("state", campaign.state),
                when=moment,
                name_ok=name in (ABSENT, "ok"),
                segments_ok=set(fields.get("segments", [])) <= set(own)
                and (campaign.list == config.lists[0].id or not fields.get("segments")),
            )
            answer = self._send("PUT", f"/campaign/{ident}", fields, as_json)
            if not self._judge(answer, outcome):
                return
            campaign.name = fields.get("name", campaign.name)
            campaign.state = fields.get("state", campaign.state)
            campaign.when = moment
            if "segments" in fields:
                campaign.segments = list(dict.fromkeys(fields["segments"]))
            self._compare(campaign, answer, "Q-5p")
            self._settle(campaign)

        @rule(ident=ids)
        def read(self, ident: int) -> None:
            answer = t.get(f"/campaign/{ident}")
            campaign = self.model.get(ident)
            if campaign is None:
                if answer.status != 404:
                    raise Violation(
                        "M-5", f"a deleted campaign answers {answer.describe()}", answer
                    )
                return
            if self._judge(answer, Expected(rule="R-3")):
                self._compare(campaign, answer, "R-3")

        @rule(ident=consumes(ids))
        def delete(self, ident: int) -> None:
            campaign = self.model.get(ident)
            if campaign is None or (campaign.sends and stuck):
                return
            if campaign.sends:
                campaign.state = wait_final(ident) or campaign.state
            answer = t.delete(f"/campaign/{ident}")
            sending = campaign.state == "SENDING"
            outcome = Expected(frozenset({"conflict"}), "M-5") if sending else Expected(rule="M-5")
            if self._judge(answer, outcome):
                self._compare(campaign, answer, "R-3")
                del self.model[ident]
                self.deleted.add(ident)

        def _send(self, method: str, path: str, fields: dict[str, Any], as_json: bool) -> Exchange:
            if as_json:
                return t.request(method, path, json=fields)
            form: list[tuple[str, str]] = []
            for key, value in fields.items():
                if key == "segments":
                    form += [("segments[]", str(s)) for s in value] or [("segments[]", "")]
                else:
                    form.append((key, "" if value is None else str(value)))
            return t.request(method, path, form=form)

    return CampaignMachine


@check(*RULES)
def random_sequences(t: Probe) -> None:
    """Random POST/PUT/GET/DELETE sequences agree with the model (--max-examples, --seed)."""
    machine = machine_for(t)
    factory = hypothesis_seed(f"{t.ctx.seed}:machine")(machine)
    try:
        run_state_machine_as_test(
            factory,
            settings=settings(
                max_examples=max(1, t.ctx.max_examples),
                stateful_step_count=10,
                database=None,
                derandomize=False,
                deadline=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
                print_blob=False,
            ),
        )
    except Violation as found:
        t.fail(found.rule, f"{found.message} (shrunk sequence)", found.exchange)
