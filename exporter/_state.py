"""What ``/metrics`` shows: the latest cycle and running totals, replaced whole on every update.

The run loop calls ``ExporterState.update`` once a cycle; scrapes read ``snapshot()``, an
immutable value, so a scrape never waits for an update and never sees half of one.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from evaluator import SEVERITIES, CycleResult, Problem
from khp.configuration import SOURCE_KINDS

ACTIVE = "active"
"""The ``state`` label of a problem the alert bridge gave no state for."""

ERROR_STATUSES = ("failed", "timeout", "skipped")
"""The monitor run statuses counted by ``khp_monitor_errors_total`` (anything but ``ok``)."""

CYCLE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 120.0, 300.0)
"""Upper bounds (seconds) of ``khp_cycle_duration_seconds``: around the 30 s monitor timeout and 1 m interval."""

ProblemKey = tuple[str, str, "str | None", "str | None", str]


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ProblemSeries:
    """One problem as label values (check, monitor, cluster, host, severity, service), its state and figures.

    ``alertmanager`` is what Alertmanager does with its alert: (``active`` | ``suppressed`` |
    ``unprocessed``, why when suppressed: ``maintenance`` | ``muted`` | ``silenced`` | ``inhibited``),
    or None when Alertmanager does not hold it (not sent yet, or not known).
    """

    labels: tuple[str, str, str, str, str, str]
    state: str
    value: float | None
    threshold: float | None
    alertmanager: tuple[str, str] | None = None


@dataclass(frozen=True)
class LastCycle:
    """The figures of the most recent cycle only."""

    finished: float
    at: float
    monitor_seconds: Mapping[str, float]
    monitor_up: Mapping[str, bool]
    peak_in_flight: int
    source_up: Mapping[str, bool]


@dataclass(frozen=True)
class Snapshot:
    """Everything the collector needs, as of the last update; never changed after it is made."""

    problems: tuple[ProblemSeries, ...] = ()
    problem_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (cluster, severity) -> count
    last: LastCycle | None = None
    cycles: int = 0
    cycle_seconds: float = 0.0
    cycle_buckets: tuple[int, ...] = (0,) * len(CYCLE_BUCKETS)  # cumulative: cycles <= each bound
    monitor_errors: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (monitor, status) -> runs
    query_seconds: Mapping[str, float] = field(default_factory=dict)
    queries: Mapping[str, int] = field(default_factory=dict)
    query_errors: Mapping[str, int] = field(default_factory=dict)
    deduplicated: int = 0
    send_errors: Mapping[str, int] = field(default_factory=dict)
    flapping: tuple[tuple[str, str, str, str, str, str], ...] = ()  # label values of the alerts flapping now
    alertmanager_read_at: float | None = None  # when the Alertmanager states shown were read
    alertmanager_read_errors: int = 0  # reads of Alertmanager's alert states that failed


class ExporterState:
    """Thread-safe holder of the exporter's ``Snapshot``, updated by the run loop after each cycle.

    ``source_kinds`` and ``alertmanager_urls`` start their counters at 0, so that ``rate()``
    sees the first error of a source or an Alertmanager. Likewise a cluster or monitor, once
    seen, keeps its ``khp_problems`` and ``khp_monitor_errors_total`` series (at 0 when healthy).
    """

    def __init__(self, source_kinds: Iterable[str] = SOURCE_KINDS, alertmanager_urls: Iterable[str] = ()) -> None:
        kinds = list(source_kinds)
        self._lock = threading.Lock()
        self._snapshot = Snapshot(
            query_seconds=_frozen(dict.fromkeys(kinds, 0.0)),
            queries=_frozen(dict.fromkeys(kinds, 0)),
            query_errors=_frozen(dict.fromkeys(kinds, 0)),
            send_errors=_frozen(dict.fromkeys(alertmanager_urls, 0)),
        )
        self._clusters: set[str] = set()
        self._severities: set[str] = set(SEVERITIES)

    def snapshot(self) -> Snapshot:
        """The state as of the last ``update``."""
        return self._snapshot

    def update(
        self,
        result: CycleResult,
        problems: Iterable[Problem] | None = None,
        states: Mapping[ProblemKey, str] | None = None,
        send_errors: Mapping[str, int] | None = None,
        alertmanager: Mapping[ProblemKey, tuple[str, str]] | None = None,
        alertmanager_read: tuple[float | None, int] | None = None,
        flapping: Iterable[Problem] = (),
    ) -> None:
        """Take in a finished cycle.

        ``problems`` is the set to export, ``result.problems`` by default; pass the active set
        (``diff_problems(...).active.values()``) so that problems kept for a failed monitor stay.
        ``states`` maps ``Problem.key`` to the alert bridge's state (``pending``, ``firing``);
        a problem without one is ``active``. ``send_errors`` maps an Alertmanager URL to the
        number of failed sends since the previous update. ``alertmanager`` maps ``Problem.key`` to
        Alertmanager's (state, reason) of its alert; ``alertmanager_read`` is (when those states
        were read, failed reads since the previous update). ``flapping`` are the problems whose
        alert the bridge holds as flapping.
        """
        chosen = result.problems if problems is None else problems
        series, counts = _problem_series(chosen, states or {}, alertmanager or {})
        read_at, read_errors = alertmanager_read or (None, 0)
        increments = dict(send_errors or {})
        negative = sorted(url for url, n in increments.items() if n < 0)
        if negative:
            raise ValueError(f"send_errors must count new failures (>= 0); got a negative count for {negative}")
        record = result.record
        stats = record.queries
        # Plain dict() copies: a query given up on may still finish and add to these dicts now.
        seconds, executed, errors = dict(stats.seconds), dict(stats.counts), dict(stats.errors)
        monitors = dict(record.monitors)
        last = LastCycle(
            finished=record.started + record.seconds,
            at=record.at,
            monitor_seconds=_frozen({name: run.seconds for name, run in monitors.items()}),
            monitor_up=_frozen({name: run.status == "ok" for name, run in monitors.items()}),
            peak_in_flight=stats.peak_in_flight,
            # Every source call goes through the cycle's queries, so a "Source unavailable" problem
            # always comes with a failed query of its kind; kinds that ran no query are not judged.
            source_up=_frozen({kind: not errors.get(kind, 0) for kind, n in executed.items() if n}),
        )
        with self._lock:
            old = self._snapshot
            self._clusters.update(cluster for cluster, _severity in counts)
            self._severities.update(severity for _cluster, severity in counts)
            monitor_errors = dict(old.monitor_errors)
            for name, run in monitors.items():
                for status in ERROR_STATUSES:
                    monitor_errors[(name, status)] = monitor_errors.get((name, status), 0) + (run.status == status)
            self._snapshot = Snapshot(
                problems=series,
                problem_counts=_frozen(
                    {(c, s): counts.get((c, s), 0) for c in sorted(self._clusters) for s in sorted(self._severities)}
                ),
                last=last,
                cycles=old.cycles + 1,
                cycle_seconds=old.cycle_seconds + record.seconds,
                cycle_buckets=_observe(old.cycle_buckets, record.seconds),
                monitor_errors=_frozen(monitor_errors),
                query_seconds=_add(old.query_seconds, seconds),
                queries=_add(old.queries, executed),
                query_errors=_add(old.query_errors, errors),
                deduplicated=old.deduplicated + max(0, stats.requested - stats.executed),
                send_errors=_add(old.send_errors, increments),
                flapping=tuple(sorted({_labels(p) for p in flapping})),
                alertmanager_read_at=read_at if read_at is not None else old.alertmanager_read_at,
                alertmanager_read_errors=old.alertmanager_read_errors + read_errors,
            )


def _problem_series(
    problems: Iterable[Problem], states: Mapping[ProblemKey, str], alertmanager: Mapping[ProblemKey, tuple[str, str]]
) -> tuple[tuple[ProblemSeries, ...], dict[tuple[str, str], int]]:
    by_labels: dict[tuple[str, str, str, str, str, str], ProblemSeries] = {}
    counts: dict[tuple[str, str], int] = {}
    for p in problems:
        labels = _labels(p)
        if labels in by_labels:
            continue  # one series per label set: a duplicate would make Prometheus reject the scrape
        by_labels[labels] = ProblemSeries(
            labels, states.get(p.key, ACTIVE), p.value, p.threshold, alertmanager.get(p.key)
        )
        counts[(labels[2], p.severity)] = counts.get((labels[2], p.severity), 0) + 1
    return tuple(by_labels.values()), counts


def _labels(p: Problem) -> tuple[str, str, str, str, str, str]:
    return (p.check, p.monitor, p.cluster or "", p.host or "", p.severity, p.service)


def _observe(buckets: tuple[int, ...], seconds: float) -> tuple[int, ...]:
    first = bisect.bisect_left(CYCLE_BUCKETS, seconds)  # the first bound >= seconds
    return tuple(n + (i >= first) for i, n in enumerate(buckets))


def _add(totals: Mapping[str, float], more: Mapping[str, float]) -> Mapping:
    summed = dict(totals)
    for key, n in more.items():
        summed[key] = summed.get(key, 0) + n
    return _frozen(summed)
