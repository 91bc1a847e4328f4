"""`GET /_mock/metrics`: the mock in Prometheus's text exposition format.

Each app has a `CollectorRegistry` of its own (never the process's default registry: a test
process holds several mocks) with one collector, which reads the counts the core and the
dispatcher keep as plain ints when the metrics are scraped. Guarded like every `/_mock/`
route (http/app.py); with `--isolate accounts` the metrics span every world, so they need
the control token (http/world.py). Each process of `--workers N` reports its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app

from campaign_mock.core import Mock
from campaign_mock.http.context import mock

if TYPE_CHECKING:
    from prometheus_client.core import Metric

blueprint = Blueprint("metrics", __name__, url_prefix="/_mock")

#: The key of `app.extensions` that holds the app's registry.
REGISTRY = "campaign_mock.metrics"


@blueprint.get("/metrics")
def metrics() -> Response:
    # Imported at the first scrape: every start of `campaign-mock` (a refused fixtures file
    # too) paid prometheus_client's import, 7% of its CPU, for a route few call.
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = current_app.extensions.get(REGISTRY)
    if registry is None:  # made at the first scrape: an app nobody scrapes pays nothing
        registry = CollectorRegistry(auto_describe=True)
        registry.register(MockCollector(mock()))
        registry = current_app.extensions.setdefault(REGISTRY, registry)
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class MockCollector:
    """The core's counts, read at scrape time (a collector is anything with `collect`)."""

    def __init__(self, core: Mock) -> None:
        self.core = core

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        measures = self.core.measures()
        requests = CounterMetricFamily(
            "campaign_mock_requests",
            "Requests answered (the API and /_mock/; not the dashboard), by URL rule, "
            "method and status",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in sorted(measures.requests.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        attempts = CounterMetricFamily(
            "campaign_mock_callback_attempts",
            "Callback attempts made, by outcome: acknowledged (2xx), failed_status (another "
            "answer), timeout (no answer in time), error (refused, reset, not sendable)",
            labels=["outcome"],
        )
        for outcome, count in measures.attempts.items():
            attempts.add_metric([outcome], count)
        yield attempts
        yield GaugeMetricFamily(
            "campaign_mock_callbacks_waiting",
            "Callback attempts waiting to be made (due or not, retries too)",
            value=measures.waiting,
        )
        yield GaugeMetricFamily(
            "campaign_mock_callbacks_in_flight",
            "Callback attempts being made now",
            value=measures.in_flight,
        )
        yield GaugeMetricFamily(
            "campaign_mock_clock_offset_seconds",
            "The mock's clock minus real time, in seconds (negative: behind)",
            value=measures.clock_offset,
        )
