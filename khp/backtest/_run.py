"""``run_backtest``: the current thresholds and a candidate, replayed over a past period side by side."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from evaluator import Monitor, threshold_keys
from khp.configuration import Config
from khp.sources import Sources, open_sources
from khp.store import Store

from ._alerts import AlertReplay
from ._checks import literal_checks
from ._errors import BacktestError
from ._notifications import GroupTimings
from ._overrides import (
    Override,
    PendingOverride,
    apply_overrides,
    apply_pending,
    parse_override,
    parse_pending,
    shadowed,
    validate,
)
from ._period import Period
from ._replay import Progress, Side, replay
from ._report import BacktestReport, BacktestRow, Change, Counts

CURRENT = "current"
CANDIDATE = "candidate"
DEFAULT_TIMINGS = "(default)"


def run_backtest(
    config: Config,
    monitors: Sequence[type[Monitor]],
    start: float,
    end: float,
    step: float,
    overrides: Iterable[Override | str] = (),
    clusters: Sequence[str] | None = None,
    progress: Progress | None = None,
    *,
    pending: Iterable[PendingOverride | str] = (),
    sources: Sources | None = None,
) -> BacktestReport:
    """Replay ``monitors`` at every ``step`` from ``start`` to ``end`` with the alert bridge's rules.

    With ``overrides`` (``"druid_slot_used_percent.warning=85"`` or ``Override`` objects) or
    ``pending`` (``"10m"``, ``"Task slot usage=10m"``, ``"druid-002:10m"``), a candidate side runs beside the
    current one on the same query answers. ``clusters`` limits the evaluation to those
    clusters; ``progress(done, total)`` is called after each evaluation time. ``sources``
    default to the configured ones. Raises ``OverrideError`` for a bad candidate and
    ``BacktestError`` for a bad period.
    """
    monitors = tuple(monitors)
    if not monitors:
        raise BacktestError("no monitor to backtest")
    period = Period(start, end, step)
    changes = validate((o if isinstance(o, Override) else parse_override(o, config) for o in overrides), config)
    known = literal_checks(monitors)
    pendings = tuple(p if isinstance(p, PendingOverride) else parse_pending(p, known) for p in pending)
    sides = [Side(CURRENT, config, monitors)]
    if changes or pendings:
        candidate_config = apply_pending(apply_overrides(config, changes), pendings)
        sides.append(Side(CANDIDATE, candidate_config, monitors, tuple(p for p in pendings if p.cluster is None)))
    scope = tuple(clusters) if clusters is not None else None
    with _sources(config, sources) as opened:
        done = replay(opened, sides, period, scope, progress)
    current = done.sides[CURRENT]
    candidate = done.sides.get(CANDIDATE)
    rows = _rows(current, candidate)
    return BacktestReport(
        period=period,
        monitors=tuple(m.monitor_name() for m in monitors),
        clusters=scope,
        changes=tuple(Change(o, o.current(config)) for o in changes),
        pending=pendings,
        rows=rows,
        current=sum((row.current for row in rows), Counts()),
        candidate=sum((row.candidate or Counts() for row in rows), Counts()) if candidate is not None else None,
        failed=dict(sorted(current.failed.items())),
        timings=_timings(config, rows),
        notes=tuple(_notes(config, changes, monitors, scope)),
        seconds=done.seconds,
        queries_asked=done.queries_asked,
        queries_run=done.queries_run,
    )


@contextmanager
def _sources(config: Config, given: Sources | None) -> Iterator[Sources]:
    if given is not None:
        yield given
        return
    embedded = any(getattr(config.sources, kind).type == "embedded" for kind in ("metrics", "logs", "processes"))
    store = Store(config.store.path) if embedded else None
    try:
        yield open_sources(config, store)
    finally:
        if store is not None:
            store.close()


def _rows(current: AlertReplay, candidate: AlertReplay | None) -> tuple[BacktestRow, ...]:
    mine = current.rows()
    theirs = candidate.rows() if candidate is not None else {}
    rows = []
    for key in set(mine) | set(theirs):
        check, cluster, severity = key
        monitor = current.monitors.get(key) or (candidate.monitors.get(key, "") if candidate is not None else "")
        rows.append(
            BacktestRow(
                check,
                cluster,
                severity,
                monitor,
                Counts.of(mine.get(key, {})),
                Counts.of(theirs.get(key, {})) if candidate is not None else None,
            )
        )
    return tuple(sorted(rows, key=_order))


def _order(row: BacktestRow) -> tuple:
    most = max(row.current.notifications_sent, row.candidate.notifications_sent if row.candidate else 0)
    detected = max(row.current.detected, row.candidate.detected if row.candidate else 0)
    return (-most, -detected, row.check, row.cluster, row.severity)


def _timings(config: Config, rows: Sequence[BacktestRow]) -> dict[str, GroupTimings]:
    default = GroupTimings.for_cluster(config, "")
    found = {DEFAULT_TIMINGS: default}
    for cluster in sorted({row.cluster for row in rows}):
        own = GroupTimings.for_cluster(config, cluster)
        if own != default:
            found[cluster] = own
    return found


def _notes(
    config: Config, changes: Sequence[Override], monitors: Sequence[type[Monitor]], scope: Sequence[str] | None
) -> Iterator[str]:
    used = set().union(*(threshold_keys(m) for m in monitors))
    for change in changes:
        if change.key not in used:
            names = ", ".join(m.monitor_name() for m in monitors)
            yield f"{change}: no monitor of this backtest ({names}) uses {change.key!r}"
        for cluster, value in shadowed(config, change).items():
            if scope is not None and cluster not in scope:
                continue
            own = "null" if value is None else f"{value:g}"
            yield (
                f"{change}: {cluster} sets its own {change.key}.{change.level} ({own}) and keeps it;"
                f" try {cluster}:{change.key}.{change.level}=VALUE for that cluster"
            )
