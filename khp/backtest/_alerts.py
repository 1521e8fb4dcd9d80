"""The alert bridge's rules replayed: each cycle's problems through ``alert_bridge.step``.

Nothing is sent. Per ``(check, cluster, severity)`` it counts what the bridge would have
recorded (detected, healed, fired, resolved) and hands firing and resolving alerts to the
notification estimate; every alert that fired is kept as a ``Span`` (what a hint must not lose
is read from them). Problems of a monitor that failed keep their state, as in the bridge.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from alert_bridge import FIRING, PENDING, RESOLVED, AlertState, Timing, step
from alert_bridge._machine import FAILURE_CHECKS, FIRED, RESET, RESOLVED_NOW, keeps
from evaluator import CycleResult, Problem
from khp.configuration import Config

from ._faults import Span
from ._notifications import KINDS, NotificationEstimate
from ._overrides import PendingOverride

Key = tuple[str, str, "str | None", "str | None", str]
RowKey = tuple[str, str, str]  # check, cluster, severity


class AlertReplay:
    """One side of a backtest: the bridge's state per problem key, and what happened to it."""

    def __init__(
        self, config: Config, pending: Sequence[PendingOverride] = (), monitors: frozenset[str] | None = None
    ) -> None:
        self.config = config
        self.only = monitors  # the monitors of this side, when its evaluator runs more
        self.timing = Timing.from_config(config)
        self.pending = tuple(pending)
        self.notices = NotificationEstimate(config)
        self.states: dict[Key, AlertState] = {}
        self.tallies: dict[RowKey, Counter[str]] = {}
        self.monitors: dict[RowKey, str] = {}
        self.failed: Counter[str] = Counter()
        self.spans: list[Span] = []  # alerts that fired and resolved
        self._firing: dict[Key, tuple[float, float]] = {}  # alerts firing now: (detected, fired)

    def observe(self, result: CycleResult) -> None:
        """Advance every problem key by one evaluation time."""
        at = result.record.at
        self.notices.advance(at, inclusive=False)
        failed = frozenset(result.failed_monitors)
        if self.only is not None:
            failed &= self.only
        self.failed.update(failed)
        seen: dict[Key, Problem] = {}
        for found in result.problems:
            if found.check in FAILURE_CHECKS or (self.only is not None and found.monitor not in self.only):
                continue  # the replay's own trouble is counted in ``failed``; not an alert of the period
            seen[found.key] = self._with_pending(found) if self.pending else found
        for key in [*self.states, *(key for key in seen if key not in self.states)]:
            old = self.states.get(key)
            problem = seen.get(key)
            kept = problem is None and old is not None and keeps(old.problem, failed)
            outcome = step(old, problem, at, at, self.timing, kept)
            if outcome.state is None:
                self.states.pop(key, None)
            else:
                self.states[key] = outcome.state
            if problem is not None and (old is None or old.phase == RESOLVED):
                self._tally(problem, "detected")
            if outcome.event == FIRED:
                assert outcome.state is not None
                self._tally(outcome.state.problem, "fired")
                self.notices.fire(key, at)
                self._firing[key] = (outcome.state.since, at)
            elif outcome.event == RESOLVED_NOW:
                assert old is not None
                self._tally(old.problem, "resolved")
                self.notices.resolve(key, at)
                detected, fired = self._firing.pop(key, (old.since, old.fired if old.fired is not None else at))
                self.spans.append(Span(key, detected, fired, at))
            elif outcome.event == RESET:
                assert old is not None
                self._tally(old.problem, "healed")
        self.notices.advance(at, inclusive=True)

    def finish(self, end: float) -> None:
        """Run the flushes due up to ``end`` and count the problems still open then."""
        self.notices.advance(end, inclusive=True)
        for state in self.states.values():
            if state.phase == PENDING:
                self._tally(state.problem, "pending_at_end")
            elif state.phase == FIRING:
                self._tally(state.problem, "firing_at_end")

    def fired(self) -> list[Span]:
        """Every alert that fired in the period, those still firing at its end with ``ended`` None."""
        return [*self.spans, *(Span(key, detected, fired) for key, (detected, fired) in self._firing.items())]

    def rows(self) -> dict[RowKey, Counter[str]]:
        """Counts per ``(check, cluster, severity)``, notifications included."""
        rows = {key: Counter(tally) for key, tally in self.tallies.items()}
        for group, kinds in self.notices.counts.items():
            row = rows.setdefault(group, Counter())
            row["notifications_sent"] += sum(kinds[kind] for kind in KINDS)
            row["repeats"] += kinds["repeat"]
            row["resolve_notifications"] += kinds["resolve"]
        for group, alerts in self.notices.notified.items():
            rows.setdefault(group, Counter())["problems_notified"] += alerts
        return rows

    def _tally(self, problem: Problem, what: str) -> None:
        row = (problem.check, problem.cluster or "", problem.severity)
        tally = self.tallies.get(row)
        if tally is None:
            tally = self.tallies[row] = Counter()
            self.monitors[row] = problem.monitor
        tally[what] += 1

    def _with_pending(self, problem: Problem) -> Problem:
        for override in self.pending:
            if override.applies(problem.check):
                return dataclasses.replace(problem, pending=override.seconds)
        return problem
