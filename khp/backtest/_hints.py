"""Tuning hints: noisy checks in the alert history, a suggested change, and its backtested effect.

Two kinds of noise, read from the history of ``[since, until)``:

* ``heals``: many problems detected, few fired (most heal before their pending time). The
  suggestion is the threshold that would have cut ``cut_share`` (80 %) of the healed problems,
  judged by the value each had when it was detected, rounded to the values' precision.
* ``bursts``: the same problem fires, resolves and fires again within ``burst_gap`` (an hour).
  The suggestion is the pending time that would have kept ``cut_share`` of those re-firings
  from firing (an occurrence present from ``detected`` until ``resolved`` fires only if the
  pending time is shorter than that), rounded up to the evaluation step.

Each suggestion is then backtested over the same period with the same monitors: the
before/after counts are what the replay finds, not what the history says.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from evaluator import Monitor
from khp.configuration import Config, format_duration, format_time
from khp.history import HistoryEvent, open_history, statistics
from khp.sources import Sources

from ._checks import CheckRule, check_rules
from ._overrides import Override, PendingOverride, apply_overrides
from ._period import Period
from ._replay import Progress, Side, replay
from ._report import Counts
from ._run import CURRENT, _sources

HEALS = "heals"
BURSTS = "bursts"


@dataclass(frozen=True)
class HintRules:
    """When a check is noisy enough for a hint, and how far a suggestion goes."""

    min_detected: int = 10  # heals: at least this many problems detected
    max_share_fired: float = 0.2  # heals: at most this share of them fired
    min_values: int = 5  # heals: healed problems with a value, on the default threshold
    cut_share: float = 0.8  # the share of noisy problems a suggestion aims to cut
    burst_gap: float = 3600.0  # bursts: a firing that starts this soon after the last resolved
    min_refired: int = 3  # bursts: at least this many such re-firings
    min_share_refired: float = 0.3  # bursts: and at least this share of the firings


@dataclass(frozen=True)
class Hint:
    """A noisy check at one severity, what to change, and what the change would have done."""

    check: str
    severity: str
    monitor: str
    reason: str  # heals | bursts
    detected: int
    healed: int
    fired: int
    refired: int
    why: str
    change: Override | None = None
    was: float | None = None
    pending: PendingOverride | None = None
    current_pending: float | None = None
    fired_cut: int | None = None  # fired problems of the history the threshold would have missed
    before: Counts | None = None
    after: Counts | None = None
    note: str = ""

    @property
    def suggestion(self) -> str:
        if self.change is not None:
            was = "null" if self.was is None else f"{self.was:g}"
            return f"{self.change.key}.{self.change.level}: {was} -> {self.change.value:g}"
        if self.pending is not None:
            was = "?" if self.current_pending is None else format_duration(self.current_pending)
            return f"pending of {self.check!r}: {was} -> {format_duration(self.pending.seconds)}"
        return ""

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["change"] = str(self.change) if self.change is not None else None
        found["pending"] = self.pending.seconds if self.pending is not None else None
        found["suggestion"] = self.suggestion or None
        found["before"] = self.before.as_dict() if self.before is not None else None
        found["after"] = self.after.as_dict() if self.after is not None else None
        return found


@dataclass(frozen=True)
class HintsReport:
    since: float
    until: float
    cluster: str | None
    events: int
    hints: tuple[Hint, ...]
    period: Period | None = None  # the backtest's, when the hints were backtested
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "since": format_time(self.since),
            "until": format_time(self.until),
            "cluster": self.cluster,
            "events": self.events,
            "backtest": {
                "start": format_time(self.period.first),
                "end": format_time(self.period.last),
                "step": self.period.step,
                "evaluations": self.period.count,
            }
            if self.period is not None
            else None,
            "hints": [hint.as_dict() for hint in self.hints],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Occurrence:
    """One problem from ``detected`` to ``healed`` or ``resolved``."""

    key: str
    check: str
    monitor: str
    cluster: str
    severity: str
    detected: float
    value: float | None
    threshold: float | None
    fired: float | None = None
    ended: float | None = None
    healed: bool = False
    refired: bool = False


def find_hints(
    events: Iterable[HistoryEvent],
    since: float,
    until: float,
    config: Config,
    monitors: Sequence[type[Monitor]],
    step: float,
    rules: HintRules = HintRules(),
    cluster: str | None = None,
) -> list[Hint]:
    """The hints the history of ``[since, until)`` gives, without backtesting them."""
    events = sorted((e for e in events if since <= e.time < until), key=HistoryEvent.order)
    occurrences = _occurrences(events, rules.burst_gap)
    by_check = defaultdict(list)
    for occurrence in occurrences:
        by_check[(occurrence.check, occurrence.severity)].append(occurrence)
    known = check_rules(monitors)
    hints: list[Hint] = []
    for severity in ("warning", "critical"):
        figures = statistics([e for e in events if e.severity == severity], since, until, cluster).by_check
        for check, found in sorted(figures.items(), key=lambda item: (-item[1].detected, item[0])):
            mine = by_check.get((check, severity), [])
            rule = _rule(known, check, mine)
            monitor = rule.monitor.monitor_name() if rule is not None else (mine[0].monitor if mine else "")
            base = {
                "check": check,
                "severity": severity,
                "monitor": monitor,
                "detected": found.detected,
                "healed": found.healed,
                "fired": found.fired,
                "refired": sum(o.refired for o in mine),
            }
            share = found.fired / found.detected if found.detected else 1.0
            if found.detected >= rules.min_detected and share <= rules.max_share_fired:
                hints.append(_heals_hint(base, share, mine, rule, config, rules))
            refired = sum(o.refired for o in mine)
            if refired >= rules.min_refired and refired >= rules.min_share_refired * max(1, found.fired):
                hints.append(_bursts_hint(base, mine, step, rules))
    return hints


def tuning_hints(
    config: Config,
    monitors: Sequence[type[Monitor]],
    since: float,
    until: float,
    *,
    events: Iterable[HistoryEvent] | None = None,
    step: float | None = None,
    cluster: str | None = None,
    rules: HintRules = HintRules(),
    backtest: bool = True,
    sources: Sources | None = None,
    progress: Progress | None = None,
) -> HintsReport:
    """Hints from the history (read from the configured one unless ``events`` are given),
    each backtested over ``[since, until]`` every ``step`` (default ``evaluation.interval``)."""
    if events is None:
        with open_history(config, read_only=True) as history:
            events = history.events(since, until, cluster)
    events = [e for e in events if cluster is None or e.cluster == cluster]
    step = step or config.evaluation.interval
    hints = find_hints(events, since, until, config, monitors, step, rules, cluster)
    if not backtest or not hints:
        return HintsReport(since, until, cluster, len(events), tuple(hints))
    period = Period(since, until, step)
    by_name = {m.monitor_name(): m for m in monitors}
    sides: list[Side] = []
    names: dict[int, str] = {}  # hint index -> its side
    for index, hint in enumerate(hints):
        monitor = by_name.get(hint.monitor)
        if monitor is None or (hint.change is None and hint.pending is None):
            continue
        names[index] = f"hint {index + 1}"
        candidate = apply_overrides(config, [hint.change]) if hint.change is not None else config
        sides.append(Side(names[index], candidate, (monitor,), (hint.pending,) if hint.pending is not None else ()))
    if not sides:
        return HintsReport(since, until, cluster, len(events), tuple(hints))
    involved = tuple(dict.fromkeys(side.monitors[0] for side in sides))
    scope = (cluster,) if cluster is not None else None
    with _sources(config, sources) as opened:
        done = replay(opened, [Side(CURRENT, config, involved), *sides], period, scope, progress)
    now = done.sides[CURRENT].rows()
    final = []
    for index, hint in enumerate(hints):
        if index in names:
            after = done.sides[names[index]].rows()
            hint = replace(
                hint, before=_total(now, hint.check, hint.severity), after=_total(after, hint.check, hint.severity)
            )
        final.append(hint)
    return HintsReport(since, until, cluster, len(events), tuple(final), period, done.seconds)


def _total(rows: dict, check: str, severity: str) -> Counts:
    total = Counts()
    for (name, _cluster, level), tally in rows.items():
        if name == check and level == severity:
            total = total + Counts.of(tally)
    return total


def _occurrences(events: Sequence[HistoryEvent], gap: float) -> list[_Occurrence]:
    found: list[_Occurrence] = []
    open_by_key: dict[str, _Occurrence] = {}
    last_by_key: dict[str, _Occurrence] = {}
    for event in events:
        current = open_by_key.get(event.key)
        if event.kind == "detected" and current is None:
            occurrence = _Occurrence(
                event.key,
                event.check,
                event.monitor,
                event.cluster,
                event.severity,
                event.time,
                event.value,
                event.threshold,
            )
            open_by_key[event.key] = occurrence
            found.append(occurrence)
        elif current is None:
            continue
        elif event.kind == "fired":
            current.fired = event.time
            previous = last_by_key.get(event.key)
            current.refired = (
                previous is not None
                and previous.fired is not None
                and previous.ended is not None
                and current.detected - previous.ended <= gap
            )
        elif event.kind in ("healed", "resolved"):
            current.ended = event.time
            current.healed = event.kind == "healed"
            del open_by_key[event.key]
            last_by_key[event.key] = current
    return found


def _rule(known: Sequence[CheckRule], check: str, occurrences: Sequence[_Occurrence]) -> CheckRule | None:
    named = {o.monitor.lower() for o in occurrences if o.monitor}
    matching = [r for r in known if r.check == check]
    for rule in matching:
        monitor = rule.monitor
        if monitor.monitor_name().lower() in named or monitor.__module__.rsplit(".", 1)[-1].lower() in named:
            return rule
    return matching[0] if len(matching) == 1 else None


def _heals_hint(
    base: dict[str, Any],
    share: float,
    occurrences: Sequence[_Occurrence],
    rule: CheckRule | None,
    config: Config,
    rules: HintRules,
) -> Hint:
    why = f"{share:.0%} of {base['detected']} detected problems fired; the rest healed before their pending time"
    level = rule.levels.get(base["severity"]) if rule is not None else None
    if level is None or level.key not in config.thresholds:
        return Hint(reason=HEALS, why=why, note="no plain threshold comparison in the monitor's code", **base)
    default = config.thresholds[level.key].level(base["severity"])
    on_default = [o for o in occurrences if o.value is not None and o.threshold == default]
    healed = [o.value for o in on_default if o.healed and o.value is not None]
    if default is None or len(healed) < rules.min_values:
        note = f"fewer than {rules.min_values} healed problems with a value on the default threshold"
        return Hint(reason=HEALS, why=why, note=note, **base)
    value = _cut(healed, level.compare, rules.cut_share)
    fired = [o.value for o in on_default if o.fired is not None and o.value is not None]
    cut_fired = sum(not _detects(v, level.compare, value) for v in fired)
    change = Override(level.key, base["severity"], value)
    return Hint(reason=HEALS, why=why, change=change, was=default, fired_cut=cut_fired, **base)


def _bursts_hint(base: dict[str, Any], occurrences: Sequence[_Occurrence], step: float, rules: HintRules) -> Hint:
    fired = [o for o in occurrences if o.fired is not None]
    refired = [o for o in fired if o.refired]
    gap = format_duration(rules.burst_gap)
    why = f"{len(refired)} of {len(fired)} firings came less than {gap} after the same problem resolved"
    waits = sorted(o.fired - o.detected for o in fired if o.fired is not None)
    current = waits[len(waits) // 2] if waits else None
    lasted = [o.ended - o.detected for o in refired if o.ended is not None]
    if not lasted:
        return Hint(reason=BURSTS, why=why, current_pending=current, note="the re-firings have not resolved", **base)
    needed = sorted(lasted)[max(0, math.ceil(rules.cut_share * len(lasted)) - 1)]
    pending = math.ceil(needed / step - 1e-9) * step
    if current is not None and pending <= current:
        note = "the re-firings lasted longer than the pending time already is"
        return Hint(reason=BURSTS, why=why, current_pending=current, note=note, **base)
    return Hint(
        reason=BURSTS,
        why=why,
        pending=PendingOverride(pending, base["check"]),
        current_pending=current,
        **base,
    )


def _cut(values: Sequence[float], compare: str, share: float) -> float:
    """The threshold that leaves ``share`` of ``values`` undetected, at the values' precision."""
    ordered = sorted(values)
    count = max(1, math.ceil(share * len(ordered)))
    unit = _precision(ordered)
    if compare in (">", ">="):
        edge = ordered[count - 1]  # values up to here are not above the new threshold
        steps = math.ceil(edge / unit - 1e-9) if compare == ">" else math.floor(edge / unit + 1e-9) + 1
    else:
        edge = ordered[len(ordered) - count]  # values from here up are not below it
        steps = math.floor(edge / unit + 1e-9) if compare == "<" else math.ceil(edge / unit - 1e-9) - 1
    return round(steps * unit, 6)


def _precision(values: Sequence[float]) -> float:
    for unit in (1.0, 0.1, 0.01):
        if all(abs(v / unit - round(v / unit)) < 1e-6 for v in values):
            return unit
    return 0.001


def _detects(value: float, compare: str, threshold: float) -> bool:
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[compare]
