"""The proxy's callback forwarding: each callback the server makes to a URL the proxy handed
out goes on to the client's own URL, and the client's answer goes back to the server, so the
server's retries are the ones the client's receiver asked for (docs/design/proxy-and-judge.md,
section 3.5).

Sent with `http.client`, one connection per callback: the method, the path after the token
and the query string as the server sent them (a dropped or re-quoted query reaches the client
as the server made it), the headers in the server's order and case with `Host` set to the
client's authority, the body as received, framed with `Content-Length`. A refused connection
becomes a `Reset` (the server's connection is closed with no answer), no answer within C-4's
10 s a `Silence`: the server sees the failure the client gave.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable

from campaign_contract.observed.callbacks import token_of
from campaign_contract.observed.rewrite import CallbackRewriter
from campaign_contract.transport.received import (
    HANG_SECONDS,
    PREFIX,
    Relayed,
    Reply,
    Reset,
    Silence,
)

#: Told what became of each forward that failed (one line, for the terminal).
Note = Callable[[str], None]
#: Answer bytes relayed back to the server at most (a receiver's answer is small).
MAX_ANSWER = 64 * 1024
#: Request headers the forwarder writes itself.
_FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive"})


class Forwarder:
    """Callable as a `Receiver` answerer: forwards one callback and returns the client's reply."""

    def __init__(
        self,
        rewriter: CallbackRewriter,
        note: Note = lambda _line: None,
        timeout: float = HANG_SECONDS,
    ) -> None:
        self.rewriter = rewriter
        self.note = note
        self.timeout = timeout

    def __call__(
        self, method: str, target: bytes, headers: tuple[tuple[str, str], ...], body: bytes
    ) -> Reply:
        after = target.split(b"?", 1)[0].decode("latin-1").partition(f"/{PREFIX}/")[2]
        where = self.rewriter.forward_target(token_of(after), target)
        if where is None:
            return Relayed(404, "Not Found", (), b"")
        authority, path = where.authority, where.target
        kind = (
            http.client.HTTPSConnection if where.scheme == "https" else http.client.HTTPConnection
        )
        conn = kind(where.host, where.port, timeout=self.timeout)
        url = f"{where.scheme}://{authority}{path.decode('latin-1')}"
        try:
            conn.putrequest(
                method, path.decode("latin-1"), skip_host=True, skip_accept_encoding=True
            )
            conn.putheader("Host", authority)
            for name, value in headers:
                if name.lower() not in _FRAMING:
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            answer = conn.getresponse()
            data = answer.read(MAX_ANSWER)
            return Relayed(answer.status, answer.reason, tuple(answer.getheaders()), data)
        except TimeoutError:
            self.note(f"callback forwarded to {url}: no answer within {self.timeout:g} s")
            return Silence(0.0)
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.note(f"callback forwarded to {url}: {error!r}; the server's connection is reset")
            return Reset()
        finally:
            conn.close()
