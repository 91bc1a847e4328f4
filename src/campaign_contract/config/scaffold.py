"""Config files for `init`: a commented template, or one filled in from a mock's state."""

from __future__ import annotations

import json
from typing import Any

import requests
import yaml

from campaign_contract.config.mock_token import mock_token
from campaign_contract.config.model import Limits

TEMPLATE = """\
# campaign-contract configuration. Values may use ${ENV_VAR} or ${ENV_VAR:-default}.
# Run: campaign-contract run --base-url https://api.example --config this-file.yaml

# base_url: https://duo.example/api      # --base-url overrides it

auth:
  method: basic                          # basic (HTTP Basic), session (POST /login/) or none
  username: ${CAMPAIGN_USERNAME}
  password: ${CAMPAIGN_PASSWORD}         # the account password
  # api_key: ${CAMPAIGN_API_KEY}         # optional: also checks Basic with an API key

domains:
  bouncing: 1                            # id of a domain enabled as bouncing (is_bouncing)
  # non_bouncing: 2                      # id of a domain that is not bouncing (Q-6)

# Test contact lists: campaigns that send go only to these. Name every contact
# with its addresses, and each segment with its members (by email or telephone).
lists:
  - id: 1
    name: contract test list
    contacts:
      - email: first@example.com
        telephone: "+351910000001"
        # engages: [opened, clicked]       # events known to happen for this contact's email
        #                                  # (a sandbox mailbox that always opens and clicks):
        #                                  # checks they are reported, after DONE too (C-1,
        #                                  # M-4). Without such a contact that check is "not
        #                                  # exercised". Put it in one of the first two lists.
      - email: second@example.com
      - telephone: "+351910000003"
    segments:
      - id: 1
        name: first two
        members: [first@example.com, second@example.com]

# empty_list: 2                          # id of a list with no contacts (M-4: straight to DONE)
# error_list: 3                          # id of a list whose sends end in ERROR (M-4, M-5);
#                                        # never a test list above. Without it, M-4's ERROR
#                                        # and M-5 in ERROR are "not exercised".

payloads: [email, sms]                   # what campaigns on this server carry

callbacks:
  listen:                                # where the suite's callback receiver listens
    host: 0.0.0.0
    port: 8765
  # public_url: http://runner.example:8765/callback   # the URL the target must call
  # sources: [10.20.0.0/16, egress.example]  # where callbacks may come from besides the
  #                                      # target's own addresses; others: 403, not judged

limits:
  callback_wait: 330                     # seconds to wait for callbacks (C-3 allows 300)
  request_timeout: 10                    # seconds per request
  rate_limit: 10                         # requests per second, 0 = no limit
  cleanup_wait: 120                      # seconds to wait for SENDING campaigns to finish
  send_wait: 120                         # seconds to wait for READY -> SENDING -> DONE (M-4)
  clock_skew: 30                         # seconds the server's clock may be off ours (C-3)
  # clock_speed: 1                       # server seconds per real second (campaign-mock --speed N)
  # clock_lag: 0                         # real seconds a sped-up clock may fall behind (C-3)
  callback_outage: 90                    # server seconds a receiver is down (C-4, M-4); 0 skips it
  silent_requests: 3                     # this many requests in a row unanswered within
                                         # request_timeout end the run (exit 1); 0 = never

# ledger: ledger.json # ids of campaigns created, for `clean` (relative: under run --work-dir)
"""


#: The mock's magic addresses that make a send end in ERROR (docs/simulation.md).
MAGIC_DOMAIN = "simulator.campaign-mock.dev"
FAIL_EMAIL = ("fail", MAGIC_DOMAIN)
FAIL_TELEPHONES = frozenset({"+15005550009"})


def fails_on_the_mock(contact: dict[str, Any]) -> bool:
    """Whether a mock contact's address makes any send to it end in ERROR."""
    if _local_part(contact) == FAIL_EMAIL:
        return True
    return str(contact.get("telephone") or "").strip() in FAIL_TELEPHONES


#: The mock's magic local parts whose Email message is always opened (and clicked).
ENGAGING_LOCAL_PARTS: dict[str, tuple[str, ...]] = {
    "opened": ("opened",),
    "noclick": ("opened",),
    "clicked": ("opened", "clicked"),
    "click": ("opened", "clicked"),
}
#: `engages` is written only if this many mean delays (open, click) and a window fit in
#: callback_wait on the mock's clock: the delays are exponential, so one misses it with e^-10.
ENGAGEMENT_MARGIN = 10.0
#: callback_wait the config gets (seconds).
CALLBACK_WAIT = 330
#: Real seconds a sped-up mock's callbacks may lag on a busy machine (a starved ticker, a slow
#: receiver; the mock's brake then slows its clock, which the suite cannot see): clock_skew
#: gets this many real seconds of server time on top, 630 s at `--speed 600`. clock_skew also
#: sets how long the outage check keeps a receiver down and when sends count as settled, so
#: it stays small; C-3's lateness alone gets `CLOCK_LAG` more (`limits.clock_lag`).
LAG = 1.0
#: Real seconds more C-3 allows a sped-up mock: a loaded CI machine's run gathered 1.05 s in
#: all, past `LAG` alone.
CLOCK_LAG = 2.0


def _local_part(contact: dict[str, Any]) -> tuple[str, str]:
    email = str(contact.get("email") or "").strip().lower()
    local, _at, domain = email.partition("@")
    return local.split("+", 1)[0], domain


def engages_on_the_mock(
    contact: dict[str, Any], settings: dict[str, Any] | None, speed: float
) -> tuple[str, ...]:
    """The events a mock contact's magic address always has, if they surely come within
    callback_wait at the mock's delays and speed; else () (unknown settings: ())."""
    local, domain = _local_part(contact)
    events = ENGAGING_LOCAL_PARTS.get(local, ()) if domain == MAGIC_DOMAIN else ()
    if not events or not isinstance(settings, dict) or not settings.get("magic_addresses"):
        return ()
    try:
        delays = settings["delays"]
        mean = float(delays["opened"]) + (float(delays["clicked"]) if "clicked" in events else 0)
        need = ENGAGEMENT_MARGIN * mean + float(settings["window"])
    except (KeyError, TypeError, ValueError):
        return ()
    return events if need <= CALLBACK_WAIT * speed else ()


class MockStateError(RuntimeError):
    """The mock's /_mock/state could not be read or lacks what a config needs."""


class NotAMockError(MockStateError):
    """Something answered at the URL, but not a mock's JSON state: a wrong URL, most likely."""


def fetch_mock_state(url: str, timeout: float = 10.0) -> dict[str, Any]:
    state_url = url.rstrip("/") + "/_mock/state"
    # The mock shows passwords and API keys only when asked with its token (mock_token.py).
    headers = {"Accept": "application/json"}
    token = mock_token(url)
    if token:
        headers["X-Mock-Token"] = token
    try:
        response = requests.get(
            state_url, params={"secrets": "1"}, timeout=timeout, headers=headers
        )
    except requests.RequestException as error:
        raise MockStateError(f"cannot read {state_url}: {error}") from None
    state = _json_object(response)
    if state is None:
        kind = response.headers.get("Content-Type") or "no Content-Type"
        raise NotAMockError(
            f"{state_url} is not a campaign-mock: it answered {response.status_code} ({kind}), "
            f"first bytes {response.content[:60]!r}"
        )
    if not response.ok:
        answer = f"{response.status_code} {json.dumps(state)[:200]}"
        raise MockStateError(f"cannot read {state_url}: it answered {answer}")
    # The mock answers in the API's envelope; accept the bare state too.
    inner = state.get("data")
    if isinstance(inner, dict) and "fixtures" not in state:
        state = inner
    if "settings" not in state:
        state["settings"] = _mock_settings(url, timeout, headers)
    return state


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    """The answer's JSON object; None for anything else (an HTML page, a bare list...)."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _mock_settings(url: str, timeout: float, headers: dict[str, str]) -> dict[str, Any] | None:
    """The mock's simulation settings (delays, magic addresses), None if it has none to show."""
    try:
        response = requests.get(url.rstrip("/") + "/_mock/settings", timeout=timeout,
                                headers=headers)  # fmt: skip
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        return None
    inner = document.get("data") if isinstance(document, dict) else None
    return inner if isinstance(inner, dict) else None


def config_from_state(state: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A config document for the mock whose `/_mock/state` this is."""
    fixtures = state.get("fixtures")
    if not isinstance(fixtures, dict):
        raise MockStateError("the state has no `fixtures` object")
    accounts = fixtures.get("accounts") or []
    domains = fixtures.get("domains") or []
    lists = fixtures.get("lists") or []
    bouncing = [d["id"] for d in domains if d.get("is_bouncing")]
    if not bouncing:
        raise MockStateError("the mock's fixtures have no bouncing domain")
    auth: dict[str, Any] = {"method": "none"}
    if accounts:
        account = accounts[0]
        auth = {"method": "basic", "username": account["username"]}
        auth["password"] = account["password"]
        if account.get("api_keys"):
            auth["api_key"] = account["api_keys"][0]
    clock = state.get("clock")
    speed = clock.get("speed") if isinstance(clock, dict) else None
    if not isinstance(speed, int | float) or isinstance(speed, bool) or speed <= 0:
        speed = None
    settings = state.get("settings")
    test_lists = []
    empty = error = None
    for item in lists:
        contacts = item.get("contacts") or []
        generate = _generate(item.get("generate"))
        if not contacts and generate is None:
            empty = empty or item["id"]
            continue
        if any(fails_on_the_mock(c) for c in contacts):
            error = error or item["id"]  # its sends end in ERROR: never a test list
            continue
        by_id = {c["id"]: c for c in contacts}
        if generate is not None:
            named = {i for seg in item.get("segments") or [] for i in seg.get("contacts", [])}
            by_id.update(_generated_by_id(item["generate"], named))
        described = [_contact(c, settings, speed or 1.0) for c in contacts]
        if generate is not None:
            described.append(generate)  # a pattern and a count, not each contact
        test_lists.append(
            {
                "id": item["id"],
                "name": item.get("name", ""),
                "contacts": described,
                "segments": [
                    {
                        "id": s["id"],
                        "name": s.get("name", ""),
                        "members": [
                            by_id[i].get("email") or by_id[i].get("telephone")
                            for i in s.get("contacts", [])
                            if i in by_id
                        ],
                    }
                    for s in item.get("segments") or []
                ],
            }
        )
    if not test_lists:
        raise MockStateError("the mock's fixtures have no list with contacts")
    document: dict[str, Any] = {
        "base_url": base_url.rstrip("/"),
        "auth": auth,
        "domains": {"bouncing": bouncing[0]},
        "lists": test_lists,
    }
    non_bouncing = [d["id"] for d in domains if not d.get("is_bouncing")]
    if non_bouncing:
        document["domains"]["non_bouncing"] = non_bouncing[0]
    if empty is not None:
        document["empty_list"] = empty
    if error is not None:
        document["error_list"] = error
    document["payloads"] = list(fixtures.get("payloads") or ["email", "sms"])
    # Any free port: the mock runs on this machine and calls the URL derived from it.
    document["callbacks"] = {"listen": {"host": "127.0.0.1", "port": 0}}
    limits: dict[str, Any] = {
        "callback_wait": CALLBACK_WAIT,
        "request_timeout": 10,
        "rate_limit": 0,
    }
    if speed is not None:
        limits["clock_speed"] = speed
        if speed > 1:
            limits["clock_skew"] = Limits().clock_skew + LAG * speed  # the default, plus lag
            limits["clock_lag"] = CLOCK_LAG
    document["limits"] = limits
    return document


def _generate(spec: Any) -> dict[str, Any] | None:
    """A mock list's `generate` as the config describes it: `{pattern, telephone, count}`."""
    if not isinstance(spec, dict) or not spec.get("count"):
        return None
    if not spec.get("email") and not spec.get("telephone"):
        return None
    out: dict[str, Any] = {"count": spec["count"]}
    if spec.get("email"):
        out["pattern"] = spec["email"]
    if spec.get("telephone"):
        out["telephone"] = spec["telephone"]
    return out


def _generated_by_id(spec: dict[str, Any], named: set[int]) -> dict[int, dict[str, Any]]:
    """The generated contacts among the ids segments name (n runs 1 .. count from first_id)."""
    first, count = int(spec["first_id"]), int(spec["count"])
    email, telephone = spec.get("email"), spec.get("telephone")
    return {
        i: {
            "email": email.format(n=i - first + 1) if email else None,
            "telephone": telephone.format(n=i - first + 1) if telephone else None,
        }
        for i in named
        if first <= i < first + count
    }


def _contact(
    contact: dict[str, Any], settings: dict[str, Any] | None, speed: float
) -> dict[str, Any]:
    """A contact as the config names it, with `engages` for a magic address that engages."""
    out = {k: contact[k] for k in ("email", "telephone") if contact.get(k)}
    engages = engages_on_the_mock(contact, settings, speed)
    if engages:
        out["engages"] = list(engages)
    return out


def render_from_mock(url: str) -> str:
    try:
        document = config_from_state(fetch_mock_state(url), url)
    except (KeyError, TypeError, AttributeError) as error:
        raise MockStateError(f"unexpected shape of {url}/_mock/state: {error!r}") from None
    header = f"# campaign-contract configuration, filled in from {url}/_mock/state\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
