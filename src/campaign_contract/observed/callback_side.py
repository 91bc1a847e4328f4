"""The proxy's callback side, assembled: the rewriter hands the server the proxy's receiver
for each campaign's `event_callback`, the receiver takes the server's callbacks, the forwarder
passes each on to the client's URL and its answer back, and the session keeps what the A, E
and C judges read (docs/design/proxy-and-judge.md, 3.4-3.6)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from campaign_contract.config.model import Config
from campaign_contract.engine.outcome import CheckResult
from campaign_contract.observed.callbacks import CallbackSession, token_of
from campaign_contract.observed.forward import Forwarder
from campaign_contract.observed.rewrite import CallbackRewriter, allowing
from campaign_contract.transport.received import Received
from campaign_contract.transport.receiver import Receiver, target_sources
from campaign_contract.transport.traffic import Seen

#: Told of each callback once it was forwarded and answered.
Heard = Callable[[Received, int | None], None]


class CallbackSide:
    """`start()`, hand `rewriter` to the relay, feed `exchange(seen)`; `close()`, then
    `results(ended_at)`. Raises OSError when the receiver cannot listen, ValueError for a
    bad `--callback-to`."""

    def __init__(
        self,
        config: Config,
        selected: Collection[str],
        to_url: str,
        callback_to: Sequence[str],
        heard: Heard,
        note: Callable[[str], None],
    ) -> None:
        listen = config.callbacks
        sources, unresolved = target_sources(to_url, listen.sources)
        for entry in unresolved:
            note(f"callbacks.sources: {entry} does not resolve; its callbacks are refused")
        allowed = allowing(callback_to)
        self._heard = heard
        self.receiver = Receiver(
            listen.listen_host,
            listen.listen_port,
            public_url=listen.public_url,
            sources=sources,
            listener=self._took,
        )
        self.rewriter = CallbackRewriter(self.receiver.base_url, allowed)
        self.receiver.answer_with(Forwarder(self.rewriter, note), self._knows)
        self.session = CallbackSession(config, selected, receiver_url=self.receiver.base_url)

    def _knows(self, after: str) -> bool:
        """Whether the path after `/cb/` starts with a token the rewriter handed out."""
        return self.rewriter.original(token_of(after)) is not None

    def _took(self, received: Received) -> None:
        if received.matched and not received.foreign:
            self.session.callback(received)
        self._heard(received, self.session.campaign_of(received))

    def start(self) -> None:
        self.receiver.start()

    def exchange(self, seen: Seen) -> None:
        self.session.exchange(seen)

    def close(self) -> None:
        self.receiver.close()

    def results(self, ended_at: float) -> list[CheckResult]:
        return self.session.results(ended_at)
