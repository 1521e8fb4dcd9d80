"""``GET /metrics`` of the receiver: the outbox by channel and state, read from the file at each scrape.

Every gunicorn worker answers with the same figures, since they all share the outbox file::

    khp_receiver_deliveries{channel="kakaowork",state="dead"} 1      # dead letters: alert on > 0
    khp_receiver_oldest_pending_seconds 42.1                          # age of the oldest waiting row
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from flask import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ._outbox import STATES, Outbox


class OutboxCollector(Collector):
    """Rows per channel and state, and the age of the oldest pending row."""

    def __init__(self, outbox: Outbox, clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = GaugeMetricFamily(
            "khp_receiver_deliveries",
            "Outbox rows by channel and state (pending, sent, dead = dead letters, expired = given up, failed)",
            labels=["channel", "state"],
        )
        counts = self.outbox.counts_by_channel()
        for channel in sorted({channel for channel, _ in counts}):
            for state in STATES:
                rows.add_metric([channel, state], counts.get((channel, state), 0))
        yield rows
        oldest = self.outbox.oldest_pending()
        yield GaugeMetricFamily(
            "khp_receiver_oldest_pending_seconds",
            "Seconds since the oldest row still waiting to be delivered was accepted (0 when none waits)",
            value=0.0 if oldest is None else max(0.0, self.clock() - oldest),
        )


def metrics_view(outbox: Outbox, clock: Callable[[], float] = time.time) -> Callable[[], Response]:
    """A Flask view serving the outbox figures in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector(outbox, clock))

    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype="text/plain", content_type="text/plain; version=0.0.4")

    return metrics
