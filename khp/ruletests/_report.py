"""How ``khp test`` shows results: a line per failed evaluation, with a diff of the problems."""

from __future__ import annotations

import math
from collections.abc import Sequence

import yaml

from khp.configuration import format_time

from ._run import Outcome, expected_fields, problem_fields


def flow(fields: dict[str, object]) -> str:
    """``fields`` as one YAML flow mapping, the way a test file writes a problem."""
    return yaml.safe_dump(fields, default_flow_style=True, sort_keys=False, allow_unicode=True, width=math.inf).strip()


def report(file: str, outcomes: Sequence[Outcome], verbose: bool = False) -> list[str]:
    """The lines for one file: each failed evaluation with its diff (each one with ``verbose``)."""
    lines = []
    for outcome in outcomes:
        when = f"at {outcome.evaluation.at_text} ({format_time(outcome.when)})"
        if outcome.passed:
            if verbose:
                lines.append(f"  ok    {outcome.test} {when}")
            continue
        lines.append(f"  FAIL  {outcome.test} {when}")
        lines.append("        --- expected  +++ found")
        rows = [("-", expected_fields(e)) for e in outcome.missing]
        rows += [("+", problem_fields(p)) for p in outcome.unexpected]
        rows += [(" ", expected_fields(e)) for e, _p in outcome.matched]
        for sign, fields in sorted(rows, key=lambda row: _order(row[1])):
            lines.append(f"        {sign} {flow(fields)}")
        if verbose:
            lines.extend("        " + line for text in outcome.tracebacks for line in text.rstrip().splitlines())
    failed = sum(1 for o in outcomes if not o.passed)
    tests = len({o.test for o in outcomes})
    verdict = "ok" if not failed else f"{failed} failed"
    lines.insert(0, f"{file}: {_count(tests, 'test')}, {_count(len(outcomes), 'evaluation')}: {verdict}")
    return lines


def _order(fields: dict[str, object]) -> tuple[str, ...]:
    return tuple(str(fields.get(key) or "") for key in ("cluster", "host", "check", "severity"))


def _count(number: int, word: str) -> str:
    return f"{number} {word if number == 1 else word + 's'}"
