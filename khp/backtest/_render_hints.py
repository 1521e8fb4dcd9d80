"""The tuning hints as text: each noisy check, its suggestion or why it is rejected, and all of them together."""

from __future__ import annotations

import shlex

from khp.configuration import format_duration, format_time

from ._hint import BURSTS, Hint, HintsReport, Together
from ._report import Counts

FIGURES = (
    ("detected", "detected"),
    ("fired", "fired"),
    ("problems notified", "problems_notified"),
    ("notifications sent", "notifications_sent"),
)


def render_hints(report: HintsReport) -> str:
    """Each hint: the noisy check, why, the suggestion or its rejection, and its backtested effect."""
    scope = f"cluster {report.cluster}" if report.cluster else "all clusters"
    lasting = format_duration(report.lasting)
    lines = [
        f"Tuning hints from the alert history {format_time(report.since)} .. {format_time(report.until)}, {scope}:"
        f" {report.events:,} events",
        f"lasting faults: alerts that fired and lasted {lasting} or more (hints.lasting); no suggestion loses one",
    ]
    if report.period is not None:
        monitors = ", ".join(report.monitors)
        lines.append(f"each change backtested {report.period} ({report.period.count:,} evaluations of {monitors})")
    lines.append("")
    if not report.hints:
        lines.append("no noisy check: nothing to suggest")
    for number, hint in enumerate(report.hints, start=1):
        lines += _hint(number, hint)
        lines.append("")
    if report.together is not None:
        lines += _together(report.together, report, sum(h.suggested for h in report.hints))
    return "\n".join(lines).rstrip("\n") + "\n"


def _hint(number: int, hint: Hint) -> list[str]:
    monitor = hint.monitor or "monitor unknown"
    if hint.reason == BURSTS and not hint.checks:
        title = f"{hint.cluster}, every check of its cluster file: {hint.check} ({monitor}) fires in bursts"
    elif hint.reason == BURSTS:
        title = f"{hint.check} ({monitor}), fleet-wide: fires in bursts"
    else:
        where = f"on {hint.cluster}" if hint.cluster else "fleet-wide"
        title = (
            f"{hint.check} ({monitor}), {where}: its short {hint.severity} alerts sit in a band below the lasting ones"
        )
    lines = [f"{number}. {title}", f"   {hint.why}"]
    if not hint.backtested and not hint.rejected:
        lines.append(f"   candidate: {hint.suggestion}   (not backtested: what it keeps is unknown)")
        return lines
    label = "rejected" if hint.rejected else "suggested"
    lines.append(f"   {label}: {hint.suggestion}   [khp backtest {hint.option}]")
    if hint.before is not None and hint.after is not None:
        lines.append(f"   backtest: {_change(hint.before, hint.after)}")
    if hint.kept is not None:
        later = (
            f", firing up to {format_duration(hint.kept.delay)} later"
            if hint.kept.delay > 0 and not hint.rejected
            else ""
        )
        lines.append(f"   lasting faults kept: {hint.kept.after} of {hint.kept.before}{later}")
        lines += [f"     lost: {fault.describe(hint.kept.end)}" for fault in hint.kept.lost]
    if hint.rejected:
        lines.append(f"   not suggested: {hint.rejected}")
    return lines


def _together(together: Together, report: HintsReport, suggested: int) -> list[str]:
    count = len(together.hints)
    cut = f" ({-together.cut:+.0%})" if together.cut is not None else ""
    before, after = together.before, together.after
    command = ["khp", "backtest", "--from", format_time(report.since), "--until", format_time(report.until)]
    if report.period is not None:
        command += ["--step", format_duration(report.period.step)]
    if report.cluster:
        command += ["--cluster", report.cluster]
    for hint in together.hints:
        command += shlex.split(hint.option)
    return [
        f"Together: {_which(count, suggested)}",
        f"  notifications sent {before.notifications_sent} -> {after.notifications_sent}{cut},"
        f" problems notified {before.problems_notified} -> {after.problems_notified},"
        f" lasting faults kept {together.kept.after} of {together.kept.before}",
        f"  try: {shlex.join(command)}",
    ]


def _which(count: int, suggested: int) -> str:
    if suggested == 1:
        return "the one suggestion"
    if count == suggested:
        return f"all {count} suggestions (they act on different checks and clusters)"
    return f"{count} of the {suggested} suggestions (those that act on different checks and clusters and save the most)"


def _change(before: Counts, after: Counts) -> str:
    return ", ".join(f"{name} {getattr(before, field)} -> {getattr(after, field)}" for name, field in FIGURES)
