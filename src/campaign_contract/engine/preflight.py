"""Before any check: does the target answer HTTP, and do the credentials work? One line if not.

Without this, a closed port or a plain-HTTP server behind an `https://` URL gives every
check a transport error: checks that judge only answers find nothing to fail and pass, and
the run blames the server for a typo in the URL. Preflight stops a run only for what no check
could judge past: nothing answers HTTP, the TLS or HTTP framing fails, or the credentials are
refused. A server that answers HTTP but not the envelope is judged: its answers are V-1..V-4
evidence; when none was the envelope the report adds `NO_ENVELOPE_HINT` (a wrong base URL?).
"""

from __future__ import annotations

from campaign_contract.config.model import Config
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import Client

#: An id no test campaign has: any conforming server answers its GET with the envelope.
PROBE_ID = 2_147_483_647


class PreflightError(Exception):
    """The target cannot be judged; the message is one line that says why."""


def _looks_like_the_api(exchange: Exchange) -> bool:
    """A JSON object with the envelope's keys: the server is the API, right or wrong in detail."""
    body = exchange.json()
    return isinstance(body, dict) and bool({"success", "data"} & set(body))


#: Told in the report when no answer of the whole run was the API's envelope.
NO_ENVELOPE_HINT = "no answer was the API's envelope: is the base URL right?"

#: Harmless reads, tried in turn until one answers the envelope: a server whose 404 page is
#: HTML (a V-1/V-4 fault the checks report) still answers the others as the API.
PROBES = (f"/campaign/{PROBE_ID}", "/campaign", "/campaign/1")


def preflight(client: Client, config: Config, login_problem: str | None = None) -> bool:
    """Raise PreflightError unless the target answers HTTP and takes the credentials.

    Returns whether some answer was the API's envelope (False: the checks still run, and
    judge what the server answers; the run's report then names NO_ENVELOPE_HINT).
    """
    where = client.base_url
    enveloped = False
    for path in PROBES:
        answer = client.get(path)
        if not answer.answered:
            raise PreflightError(f"{where} is unreachable: {_plainly(answer.error or '')}")
        # A refusal is told by its status alone: a server may refuse in any body.
        if answer.status == 401 or _looks_like_the_api(answer):
            enveloped = _looks_like_the_api(answer)
            break
    method = config.auth.method
    if login_problem is not None:
        raise PreflightError(f"{where}: {login_problem}")
    if answer.status == 401:
        if method == "none":
            raise PreflightError(
                f"{where} asks for credentials (HTTP 401) but the config's auth.method is none"
            )
        raise PreflightError(
            f"{where} refuses the config's credentials (auth.method {method}, user "
            f"{config.auth.username!r}): HTTP 401"
        )
    return enveloped


#: Transport errors as a person would say them, most specific first; the raw text follows.
_PLAIN = (
    ("SSL", "the TLS handshake failed (a plain-HTTP server behind an https:// URL?)"),
    ("Connection refused", "connection refused (nothing listens there)"),
    ("Name or service not known", "the host name does not resolve"),
    ("Temporary failure in name resolution", "the host name does not resolve"),
    ("timed out", "no answer in time"),
    ("no complete answer", "no complete answer in time"),
)


def _plainly(error: str) -> str:
    for marker, told in _PLAIN:
        if marker in error:
            return f"{told} [{error[:160]}]"
    return error[:240]
