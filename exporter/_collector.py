"""The custom collector: metric families built from the exporter state's current snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from ._state import CYCLE_BUCKETS, ERROR_STATUSES, ExporterState, Snapshot

PROBLEM_LABELS = ("check", "monitor", "cluster", "host", "severity", "service")


class KhpCollector:
    """Yields khp-monitor's metrics from ``state``; register it with a ``CollectorRegistry``."""

    def __init__(self, state: ExporterState) -> None:
        self.state = state

    def describe(self) -> Iterator[Metric]:
        """The families without samples, so that registering does not need a cycle."""
        return _families(Snapshot(), samples=False)

    def collect(self) -> Iterator[Metric]:
        return _families(self.state.snapshot(), samples=True)


def _families(snap: Snapshot, samples: bool) -> Iterator[Metric]:
    yield from _problem_families(snap, samples)
    yield from _cycle_families(snap, samples)
    yield from _monitor_families(snap, samples)
    yield from _query_families(snap, samples)
    send = CounterMetricFamily(
        "khp_alertmanager_send_errors_total", "Failed sends of alerts to an Alertmanager.", labels=["url"]
    )
    if samples:
        for url, n in sorted(snap.send_errors.items()):
            send.add_metric([url], n)
    yield send


def _problem_families(snap: Snapshot, samples: bool) -> Iterator[Metric]:
    problem = GaugeMetricFamily(
        "khp_problem",
        "1 for each problem of the last cycle; state is the alert state (pending, firing) or active.",
        labels=[*PROBLEM_LABELS, "state"],
    )
    value = GaugeMetricFamily(
        "khp_problem_value", "The value a problem's check measured, in the check's own unit.", labels=PROBLEM_LABELS
    )
    threshold = GaugeMetricFamily(
        "khp_problem_threshold", "The threshold a problem's value was compared with.", labels=PROBLEM_LABELS
    )
    counts = GaugeMetricFamily(
        "khp_problems", "Problems of the last cycle by cluster and severity.", labels=["cluster", "severity"]
    )
    alertmanager = GaugeMetricFamily(
        "khp_problem_alertmanager_state",
        "1 for each problem whose alert Alertmanager holds: alertmanager_state active, suppressed or unprocessed;"
        " the reason of a suppression: maintenance, muted, silenced or inhibited.",
        labels=[*PROBLEM_LABELS, "alertmanager_state", "reason"],
    )
    if samples:
        for series in snap.problems:
            problem.add_metric((*series.labels, series.state), 1.0)
            if series.alertmanager is not None:
                alertmanager.add_metric((*series.labels, *series.alertmanager), 1.0)
            if series.value is not None:
                value.add_metric(series.labels, series.value)
            if series.threshold is not None:
                threshold.add_metric(series.labels, series.threshold)
        for (cluster, severity), n in snap.problem_counts.items():
            counts.add_metric((cluster, severity), n)
    flapping = GaugeMetricFamily(
        "khp_problem_flapping",
        "1 for each alert held firing as flapping (it changed state too often) until its problem is stable.",
        labels=PROBLEM_LABELS,
    )
    if samples:
        for labels in snap.flapping:
            flapping.add_metric(labels, 1.0)
    yield from (problem, value, threshold, counts, alertmanager, flapping)
    read_at = GaugeMetricFamily(
        "khp_alertmanager_state_timestamp_seconds", "Unix time the Alertmanager alert states shown were read."
    )
    read_errors = CounterMetricFamily(
        "khp_alertmanager_state_read_errors_total", "Reads of Alertmanager's alert states that failed."
    )
    if samples:
        if snap.alertmanager_read_at is not None:
            read_at.add_metric([], snap.alertmanager_read_at)
        read_errors.add_metric([], snap.alertmanager_read_errors)
    yield from (read_at, read_errors)


def _cycle_families(snap: Snapshot, samples: bool) -> Iterator[Metric]:
    duration = HistogramMetricFamily("khp_cycle_duration_seconds", "Time taken by evaluation cycles.")
    finished = GaugeMetricFamily("khp_cycle_last_timestamp_seconds", "Unix time the last cycle finished.")
    at = GaugeMetricFamily(
        "khp_cycle_evaluation_timestamp_seconds", "Unix time the last cycle evaluated the data as of."
    )
    if samples:
        buckets = [
            (floatToGoString(bound), float(n)) for bound, n in zip(CYCLE_BUCKETS, snap.cycle_buckets, strict=True)
        ]
        duration.add_metric([], [*buckets, ("+Inf", float(snap.cycles))], snap.cycle_seconds)
        if snap.last is not None:
            finished.add_metric([], snap.last.finished)
            at.add_metric([], snap.last.at)
    yield from (duration, finished, at)


def _monitor_families(snap: Snapshot, samples: bool) -> Iterator[Metric]:
    seconds = GaugeMetricFamily(
        "khp_monitor_duration_seconds", "Time a monitor took in the last cycle.", labels=["monitor"]
    )
    up = GaugeMetricFamily(
        "khp_monitor_up",
        "1 if a monitor ran to its end in the last cycle, 0 if it failed, timed out or was skipped.",
        labels=["monitor"],
    )
    errors = CounterMetricFamily(
        "khp_monitor_errors_total",
        f"Monitor runs that did not end well, by status ({', '.join(ERROR_STATUSES)}).",
        labels=["monitor", "status"],
    )
    if samples:
        if snap.last is not None:
            for name, took in sorted(snap.last.monitor_seconds.items()):
                seconds.add_metric([name], took)
                up.add_metric([name], float(snap.last.monitor_up[name]))
        for (name, status), n in sorted(snap.monitor_errors.items()):
            errors.add_metric([name, status], n)
    yield from (seconds, up, errors)


def _query_families(snap: Snapshot, samples: bool) -> Iterator[Metric]:
    seconds = CounterMetricFamily(
        "khp_query_duration_seconds_total", "Time spent in source queries, by source kind.", labels=["source"]
    )
    queries = CounterMetricFamily("khp_queries_total", "Source queries run, by source kind.", labels=["source"])
    errors = CounterMetricFamily(
        "khp_query_errors_total", "Source queries that failed, by source kind.", labels=["source"]
    )
    shared = CounterMetricFamily(
        "khp_queries_deduplicated_total", "Queries answered by an identical query of the same cycle instead of running."
    )
    peak = GaugeMetricFamily("khp_queries_in_flight_peak", "Most queries running at once in the last cycle.")
    up = GaugeMetricFamily(
        "khp_source_up",
        "1 if a source kind answered every query of the last cycle, 0 if any failed.",
        labels=["source"],
    )
    if samples:
        for kind, took in sorted(snap.query_seconds.items()):
            seconds.add_metric([kind], took)
        for kind, n in sorted(snap.queries.items()):
            queries.add_metric([kind], n)
        for kind, n in sorted(snap.query_errors.items()):
            errors.add_metric([kind], n)
        shared.add_metric([], snap.deduplicated)
        if snap.last is not None:
            peak.add_metric([], snap.last.peak_in_flight)
            for kind, ok in sorted(snap.last.source_up.items()):
                up.add_metric([kind], float(ok))
    yield from (seconds, queries, errors, shared, peak, up)
