"""``tuning_hints``: noisy checks from the alert history, each change backtested and judged by what it keeps.

The history says which checks notify about alerts that do not last, and suggests a lever for
each (``_noise``). Every suggestion is then replayed over the same period beside the current
settings, on the same query answers. It is *suggested* only when it keeps every lasting fault
(an alert that fired and lasted ``hints.lasting`` under the current settings: the candidate must
still fire it), saves notifications, and, for a threshold, still lets something fire; otherwise
it is shown as *rejected*, with the faults it would lose. Hints for one cluster are replayed on
that cluster alone, with every monitor (a cluster's pending time acts on all its checks).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from evaluator import Monitor, threshold_keys
from khp.configuration import Config
from khp.history import HistoryEvent, open_history
from khp.sources import Sources

from ._alerts import AlertReplay, RowKey
from ._faults import Kept, Span, kept, lasting
from ._hint import Hint, HintsReport, Together
from ._noise import find_hints
from ._overrides import apply_overrides, apply_pending
from ._period import Period
from ._replay import Progress, Side, replay
from ._report import Counts
from ._rules import HintRules, hint_rules
from ._run import CURRENT, _sources


def tuning_hints(
    config: Config,
    monitors: Sequence[type[Monitor]],
    since: float,
    until: float,
    *,
    events: Iterable[HistoryEvent] | None = None,
    step: float | None = None,
    cluster: str | None = None,
    rules: HintRules | None = None,
    backtest: bool = True,
    sources: Sources | None = None,
    progress: Progress | None = None,
) -> HintsReport:
    """Hints from the history (the configured one unless ``events`` are given), each backtested over
    ``[since, until]`` every ``step`` (default ``evaluation.interval``). With ``cluster``, only that
    cluster's alerts are read and every hint is that cluster's override. ``rules`` default to
    ``hint_rules(config)`` (``hints.lasting``)."""
    began = time.perf_counter()
    rules = rules if rules is not None else hint_rules(config)
    if events is None:
        with open_history(config, read_only=True) as history:
            events = history.events(since, until, cluster)
    events = [e for e in events if cluster is None or e.cluster == cluster]
    step = step or config.evaluation.interval
    found = find_hints(events, since, until, config, monitors, step, rules, cluster)
    report = HintsReport(since, until, cluster, len(events), rules.lasting, tuple(found))
    if not backtest or not found:
        return replace(report, seconds=time.perf_counter() - began)
    period = Period(since, until, step)
    passes: dict[tuple[str, ...] | None, list[int]] = {}  # the clusters a replay runs on -> its hints
    for index, hint in enumerate(found):
        only = cluster if cluster is not None else hint.cluster
        passes.setdefault((only,) if only is not None else None, []).append(index)
    judged = list(found)
    ran: dict[str, type[Monitor]] = {}
    with _sources(config, sources) as opened:
        for number, (scope, indexes) in enumerate(passes.items()):
            sides: dict[int, Side] = {}
            for index in indexes:
                side = _side(found[index], f"hint {index + 1}", config, monitors)
                if side is None:
                    judged[index] = replace(
                        found[index], rejected=f"no monitor named {found[index].monitor!r} is loaded"
                    )
                else:
                    sides[index] = side
            if not sides:
                continue
            involved = tuple(dict.fromkeys(m for side in sides.values() for m in side.monitors))
            ran.update((m.monitor_name(), m) for m in involved)
            steps = _offset(progress, number * period.count, len(passes) * period.count)
            done = replay(opened, [Side(CURRENT, config, involved), *sides.values()], period, scope, steps)
            current = done.sides[CURRENT]
            faults = lasting(current.fired(), rules.lasting, period.last)
            for index, side in sides.items():
                judged[index] = _judge(found[index], side, current, done.sides[side.name], faults, period.last)
    hints = tuple(judged)
    return replace(
        report,
        hints=hints,
        period=period,
        together=_together(hints),
        seconds=time.perf_counter() - began,
        monitors=tuple(sorted(ran)),
    )


def _side(hint: Hint, name: str, config: Config, monitors: Sequence[type[Monitor]]) -> Side | None:
    """The replay of the hint's change, with the monitors it acts on (None: its monitor is not loaded)."""
    if hint.pending is not None and hint.pending.cluster is not None:
        return Side(name, apply_pending(config, [hint.pending]), tuple(monitors))
    if hint.change is not None:
        using = tuple(m for m in monitors if hint.change.key in threshold_keys(m))
        return Side(name, apply_overrides(config, [hint.change]), using) if using else None
    assert hint.pending is not None
    by_name = {m.monitor_name(): m for m in monitors}
    monitor = by_name.get(hint.monitor)
    return Side(name, config, (monitor,), (hint.pending,)) if monitor is not None else None


def _judge(
    hint: Hint, side: Side, current: AlertReplay, candidate: AlertReplay, faults: Sequence[Span], end: float
) -> Hint:
    """The hint with its backtested counts and lasting faults, rejected if it loses one or saves nothing."""
    before = _total(current.rows(), hint)
    after = _total(candidate.rows(), hint)
    fired = candidate.fired()
    mine = kept(faults, fired, end, lambda f: hint.covers(f.check, f.cluster))
    # a change can act beyond its checks (a key used elsewhere in the code): a fault lost there counts too
    names = {m.monitor_name() for m in side.monitors}
    others = kept(
        faults,
        fired,
        end,
        lambda f: (
            f.key[1] in names
            and not hint.covers(f.check, f.cluster)
            and (not hint.cluster or f.cluster == hint.cluster)
        ),
    )
    held = Kept(mine.before + len(others.lost), mine.after, mine.lost + others.lost, mine.delay, end)
    rejected = ""
    if held.lost:
        rejected = f"it loses {len(held.lost)} of {held.before} lasting faults"
    elif hint.change is not None and before.fired and not after.fired:
        rejected = "it would keep every fired alert from firing"
    elif after.notifications_sent >= before.notifications_sent:
        rejected = "it saves no notification"
    return replace(hint, before=before, after=after, kept=held, rejected=rejected)


def _total(rows: Mapping[RowKey, Mapping[str, int]], hint: Hint) -> Counts:
    total = Counts()
    for (check, cluster, _severity), tally in rows.items():
        if hint.covers(check, cluster):
            total = total + Counts.of(tally)
    return total


def _together(hints: Sequence[Hint]) -> Together | None:
    """The suggestions that act on different checks and clusters and save the most together, added up."""
    chosen = _best_set(sorted((h for h in hints if h.suggested), key=lambda h: (-h.saved, h.check, h.cluster or "")))
    if not chosen:
        return None
    before = sum((h.before or Counts() for h in chosen), Counts())
    after = sum((h.after or Counts() for h in chosen), Counts())
    held = sum((h.kept or Kept(0, 0) for h in chosen[1:]), chosen[0].kept or Kept(0, 0))
    return Together(tuple(chosen), before, after, held)


def _best_set(hints: Sequence[Hint], exact: int = 20) -> list[Hint]:
    """Of ``hints`` (most saving first), those that do not overlap and save the most in all.

    A search over the first ``exact`` (a fleet-wide pending time and a cluster's own may save
    more together than the larger alone), then the rest one by one where they fit.
    """
    first, rest = list(hints[:exact]), hints[exact:]
    left = [sum(h.saved for h in first[i:]) for i in range(len(first) + 1)]
    best: list[Hint] = []
    best_saved = -1

    def search(index: int, chosen: list[Hint], saved: int) -> None:
        nonlocal best, best_saved
        if saved + left[index] <= best_saved:
            return
        if index == len(first):
            best, best_saved = list(chosen), saved
            return
        hint = first[index]
        if not any(_overlap(hint, other) for other in chosen):
            search(index + 1, [*chosen, hint], saved + hint.saved)
        search(index + 1, chosen, saved)

    search(0, [], 0)
    for hint in rest:
        if not any(_overlap(hint, other) for other in best):
            best.append(hint)
    return best


def _overlap(one: Hint, other: Hint) -> bool:
    """Do two hints act on some check on some cluster in common?"""
    clusters = one.cluster is None or other.cluster is None or one.cluster == other.cluster
    checks = not one.checks or not other.checks or bool(set(one.checks) & set(other.checks))
    return clusters and checks


def _offset(progress: Progress | None, before: int, total: int) -> Progress | None:
    """``progress`` of one replay among several: counted on from ``before`` of ``total``."""
    if progress is None:
        return None
    report = progress
    return lambda done, _count: report(before + done, total)
