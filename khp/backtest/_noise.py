"""Noise in the alert history: checks whose notified alerts do not last, and the lever for each.

The history of ``[since, until)`` gives every alert (a check on a cluster and host at one
severity) from ``detected`` to ``healed`` or ``resolved``. Of those that fired, *short* ones
lasted at most half of ``hints.lasting``, *lasting* ones at least ``hints.lasting``. Alerts
that healed within their pending time were never notified and count for nothing here. A check
is looked at once ``min_fired`` of its alerts fired and ``min_short`` of those were short.

* **bursts**: at least ``min_share_short`` of its fired alerts were short. The lever is the
  pending time that would have kept ``cut_share`` of the short ones from firing (an alert
  present from ``detected`` until ``resolved`` fires only when that is longer than its pending
  time), rounded up to the step and at most half of ``hints.lasting``.
* **band**: the short ones' values sit in a band between the threshold and the values of the
  lasting ones. The lever is the threshold that leaves ``cut_share`` of the short ones' most
  extreme values undetected while it still detects the least extreme value seen of every
  lasting one (the history records values at detection, firing and resolution). With no
  lasting alert, or one whose values reach into the band, there is no threshold hint.

When one cluster holds ``dominant`` of a check's short alerts (or ``--cluster`` names one), the
hint is that cluster's override: its threshold (``CLUSTER:KEY.LEVEL=V``) or its cluster file's
pending time (one per cluster, for all the checks that burst there).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from evaluator import Monitor
from khp.configuration import LEVELS, Config, format_duration
from khp.history import HistoryEvent

from ._checks import CheckRule, check_rules
from ._hint import BAND, BURSTS, Hint
from ._overrides import Override, PendingOverride
from ._rules import DEFAULT_RULES, HintRules


@dataclass
class Alert:
    """One alert of the history from ``detected`` to ``healed`` or ``resolved`` (``ended`` None: open)."""

    key: str
    check: str
    monitor: str
    cluster: str
    severity: str
    detected: float
    threshold: float | None
    values: list[float] = field(default_factory=list)
    fired: float | None = None
    ended: float | None = None

    def lasted(self, until: float) -> float:
        return (self.ended if self.ended is not None else until) - self.detected


def read_alerts(events: Iterable[HistoryEvent]) -> list[Alert]:
    """The alerts of ``events`` (sorted by ``HistoryEvent.order``); events of alerts detected earlier are skipped."""
    found: list[Alert] = []
    open_by_key: dict[str, Alert] = {}
    for event in events:
        current = open_by_key.get(event.key)
        if event.kind == "detected" and current is None:
            current = Alert(
                event.key, event.check, event.monitor, event.cluster, event.severity, event.time, event.threshold
            )
            open_by_key[event.key] = current
            found.append(current)
        elif current is None or event.kind not in ("fired", "healed", "resolved"):
            continue
        elif event.kind == "fired":
            current.fired = event.time
        else:
            current.ended = event.time
            del open_by_key[event.key]
        if event.value is not None:
            current.values.append(event.value)
    return found


def find_hints(
    events: Iterable[HistoryEvent],
    since: float,
    until: float,
    config: Config,
    monitors: Sequence[type[Monitor]],
    step: float,
    rules: HintRules = DEFAULT_RULES,
    cluster: str | None = None,
) -> list[Hint]:
    """The hints the history of ``[since, until)`` gives (of ``cluster`` only, as its overrides), not backtested."""
    chosen = sorted((e for e in events if since <= e.time < until), key=HistoryEvent.order)
    alerts = [a for a in read_alerts(chosen) if cluster is None or a.cluster == cluster]
    known = check_rules(monitors)
    by_check: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_check[alert.check].append(alert)
    hints: list[Hint] = []
    bursts: dict[str, list[_Noisy]] = defaultdict(list)  # cluster -> its bursting checks
    for check, mine in sorted(by_check.items()):
        noisy = _Noisy.of(check, mine, until, rules)
        if noisy is None:
            continue
        scope = cluster or _dominant(noisy.short, rules)
        if scope is not None:
            local = _Noisy.of(check, [a for a in mine if a.cluster == scope], until, rules)
            if local is None:
                scope = None  # the one cluster alone is not noisy enough: the fleet's hint
            else:
                noisy = local
        rule = _rule(known, check, mine)
        monitor = rule.monitor.monitor_name() if rule is not None else mine[0].monitor
        if noisy.bursts(rules):
            if scope is None:
                hint = _pending_hint(noisy, monitor, step, rules)
                if hint is not None:
                    hints.append(hint)
            else:
                bursts[scope].append(noisy)
        for severity in LEVELS:
            if rule is not None and severity in rule.levels:
                hint = _band_hint(noisy, rule, known, severity, config, scope, rules)
                if hint is not None:
                    hints.append(hint)
    for name, noisy_checks in sorted(bursts.items()):
        hint = _cluster_pending_hint(name, noisy_checks, config, step, rules)
        if hint is not None:
            hints.append(hint)
    return sorted(hints, key=lambda h: (-h.short, h.check, h.cluster or "", h.reason != BURSTS, h.severity or ""))


@dataclass
class _Noisy:
    """A check's fired alerts (in the scope looked at), short and lasting."""

    check: str
    fired: list[Alert]
    short: list[Alert]
    lasting: list[Alert]
    until: float

    @classmethod
    def of(cls, check: str, alerts: Sequence[Alert], until: float, rules: HintRules) -> _Noisy | None:
        fired = [a for a in alerts if a.fired is not None]
        short = [a for a in fired if a.lasted(until) <= rules.short]
        if len(fired) < rules.min_fired or len(short) < rules.min_short:
            return None
        return cls(check, fired, short, [a for a in fired if a.lasted(until) >= rules.lasting], until)

    def bursts(self, rules: HintRules) -> bool:
        return len(self.short) >= rules.min_share_short * len(self.fired)

    def why(self, rules: HintRules) -> str:
        median = statistics.median(a.lasted(self.until) for a in self.short)
        return (
            f"{len(self.short)} of {len(self.fired)} fired alerts lasted {format_duration(rules.short)} or less"
            f" (median {format_duration(median)}); {len(self.lasting)} lasted {format_duration(rules.lasting)} or more"
        )

    def pending(self, step: float, rules: HintRules, alerts: Sequence[Alert] | None = None) -> float:
        """The pending time that keeps ``cut_share`` of the short alerts from firing, at most half of ``lasting``."""
        lasted = sorted(a.lasted(self.until) for a in (alerts if alerts is not None else self.short))
        needed = lasted[max(0, math.ceil(rules.cut_share * len(lasted)) - 1)]
        most = math.floor(rules.short / step + 1e-9) * step
        return min(math.ceil(needed / step - 1e-9) * step, most)


def _dominant(short: Sequence[Alert], rules: HintRules) -> str | None:
    """The cluster that holds ``dominant`` of the short alerts, if one does."""
    ((name, count),) = Counter(a.cluster for a in short).most_common(1)
    return name if name and count >= rules.dominant * len(short) else None


def _rule(known: Sequence[CheckRule], check: str, alerts: Sequence[Alert]) -> CheckRule | None:
    named = {a.monitor.lower() for a in alerts if a.monitor}
    matching = [r for r in known if r.check == check]
    for rule in matching:
        monitor = rule.monitor
        if monitor.monitor_name().lower() in named or monitor.__module__.rsplit(".", 1)[-1].lower() in named:
            return rule
    return matching[0] if len(matching) == 1 else None


def _pending_hint(noisy: _Noisy, monitor: str, step: float, rules: HintRules) -> Hint | None:
    """The check's pending time (``pending=`` on its ``emit``), fleet-wide."""
    now = statistics.median(a.fired - a.detected for a in noisy.fired if a.fired is not None)
    seconds = noisy.pending(step, rules)
    if seconds <= now:
        return None
    return Hint(
        reason=BURSTS,
        check=noisy.check,
        monitor=monitor,
        cluster=None,
        severity=None,
        fired=len(noisy.fired),
        short=len(noisy.short),
        lasting=len(noisy.lasting),
        why=noisy.why(rules),
        pending=PendingOverride(seconds, noisy.check),
        was=now,
        checks=(noisy.check,),
    )


def _cluster_pending_hint(
    cluster: str, noisy: Sequence[_Noisy], config: Config, step: float, rules: HintRules
) -> Hint | None:
    """The cluster file's pending time: one for every check that bursts on the cluster."""
    worst = max(noisy, key=lambda n: (len(n.short), n.check))
    short = [a for n in noisy for a in n.short]
    seconds = worst.pending(step, rules, short)
    pending = PendingOverride(seconds, None, cluster)
    now = pending.current(config)
    if seconds <= now:
        return None
    others = sorted(n.check for n in noisy if n is not worst)
    why = worst.why(rules) + (f"; {', '.join(others)} burst there too" if others else "")
    return Hint(
        reason=BURSTS,
        check=worst.check,
        monitor=worst.fired[0].monitor,
        cluster=cluster,
        severity=None,
        fired=sum(len(n.fired) for n in noisy),
        short=len(short),
        lasting=sum(len(n.lasting) for n in noisy),
        why=why,
        pending=pending,
        was=now,
    )


def _band_hint(
    noisy: _Noisy,
    rule: CheckRule,
    known: Sequence[CheckRule],
    severity: str,
    config: Config,
    cluster: str | None,
    rules: HintRules,
) -> Hint | None:
    """A threshold between the short alerts' values and the lasting ones', if there is room for one."""
    level = rule.levels[severity]
    if level.key not in config.thresholds:
        return None
    now = config.threshold(level.key, cluster, severity) if cluster else config.thresholds[level.key].level(severity)
    if now is None:
        return None

    def on_it(alerts: Sequence[Alert]) -> list[Alert]:  # clusters with their own value keep it
        return [a for a in alerts if a.severity == severity and a.threshold == now and a.values]

    short, lasting = on_it(noisy.short), on_it(noisy.lasting)
    if len(short) < rules.min_short or not lasting:
        return None
    above = level.compare in (">", ">=")
    peaks = [max(a.values) if above else min(a.values) for a in short]
    least = [min(a.values) if above else max(a.values) for a in lasting]
    value = _cut(peaks, level.compare, rules.cut_share)
    if value == now or not all(_detects(v, level.compare, value) for v in least):
        return None
    edge = min(least) if above else max(least)
    why = (
        f"{len(short)} short fired {severity} alerts peaked at {min(peaks):g} .. {max(peaks):g};"
        f" the {_lasting(len(lasting))} stayed at {edge:g} or {'more' if above else 'less'}"
    )
    checks = tuple(
        r.check
        for r in known
        if r.monitor is rule.monitor and severity in r.levels and r.levels[severity].key == level.key
    )
    return Hint(
        reason=BAND,
        check=noisy.check,
        monitor=rule.monitor.monitor_name(),
        cluster=cluster,
        severity=severity,
        fired=len(noisy.fired),
        short=len(noisy.short),
        lasting=len(noisy.lasting),
        why=why,
        change=Override(level.key, severity, value, cluster),
        was=now,
        checks=checks or (noisy.check,),
    )


def _lasting(count: int) -> str:
    return "lasting one" if count == 1 else f"{count} lasting ones"


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
