"""What changed between two cycles: new problems, healed ones, and those kept because data was missing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ._problem import Problem

Key = tuple[str, str, "str | None", "str | None", str]


@dataclass(frozen=True)
class Changes:
    """``active`` is the problem set after the cycle; ``new`` and ``resolved`` what moved."""

    active: dict[Key, Problem]
    new: list[Problem]
    resolved: list[Problem]
    kept: list[Problem]


def diff_problems(
    previous: Mapping[Key, Problem],
    current: Iterable[Problem],
    failed_monitors: Iterable[str],
    unknown: Iterable[Key] = (),
) -> Changes:
    """Compare a cycle's problems with the last known set.

    Problems of a monitor that failed this cycle, and those whose key is ``unknown`` (no data
    this cycle), are kept as they were: missing data never looks like recovery (DESIGN §5).
    """
    failed = set(failed_monitors)
    held = set(unknown)
    active: dict[Key, Problem] = {p.key: p for p in current}
    kept = [p for key, p in previous.items() if (p.monitor in failed or key in held) and key not in active]
    for problem in kept:
        active[problem.key] = problem
    new = [p for key, p in active.items() if key not in previous]
    resolved = [p for key, p in previous.items() if key not in active]
    return Changes(active=active, new=new, resolved=resolved, kept=kept)
