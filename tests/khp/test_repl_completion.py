"""Tab completion in ``khp repl``: metric paths inside quotes, one segment at a time; names elsewhere."""

from __future__ import annotations

import rlcompleter
from collections.abc import Callable

from khp._repl import path_completer

PATHS = [
    "druid/overlord/taskSlot.total.count",
    "druid/overlord/taskSlot.used.count",
    "hdfs/datanode/disk.used_percent",
    "hdfs/namenode/CapacityUsed",
    "host/os/cpu.user",
]


def complete_all(complete: Callable[[str, int], str | None], text: str) -> list[str]:
    found = []
    while (match := complete(text, len(found))) is not None:
        found.append(match)
    return found


def as_readline(line: str) -> tuple[Callable[[str, int], str | None], str]:
    """The completer and the text readline hands it for ``line``: the last word, split at its delimiters."""
    delims = " \t\n()[]{},=+-*/<>!"
    start = max(line.rfind(d) for d in delims) + 1
    complete = path_completer(lambda: PATHS, lambda text, state: None, lambda: line[:start])
    return complete, line[start:]


def test_a_quoted_prefix_completes_to_the_end_of_its_segment_with_the_same_quote() -> None:
    asked = []

    def paths() -> list[str]:
        asked.append(1)
        return PATHS

    complete = path_completer(paths, lambda text, state: None)
    assert complete_all(complete, "'druid/overlord/taskSlot.u") == ["'druid/overlord/taskSlot.used.count'"]
    assert complete_all(complete, '"druid/') == ['"druid/overlord/']
    assert complete_all(complete, "'h") == ["'hdfs/", "'host/"]
    assert complete_all(complete, "'kafka/") == []
    assert len(asked) == 1  # the store is asked once per session


def test_completion_goes_on_after_each_slash_as_readline_splits_the_words() -> None:
    complete, text = as_readline("all('hd")
    assert (text, complete_all(complete, text)) == ("'hd", ["'hdfs/"])
    complete, text = as_readline("all('hdfs/")
    assert (text, complete_all(complete, text)) == ("", ["datanode/", "namenode/"])
    complete, text = as_readline("all('hdfs/na")
    assert complete_all(complete, text) == ["namenode/"]
    complete, text = as_readline("x = max('hdfs/namenode/Cap")
    assert (text, complete_all(complete, text)) == ("Cap", ["CapacityUsed'"])


def test_a_closed_string_is_not_completed_as_a_path() -> None:
    complete, text = as_readline("all('hdfs/namenode/CapacityUsed') / max('dru")
    assert complete_all(complete, text) == ["'druid/"]
    names = path_completer(lambda: PATHS, lambda text, state: ["max("][state] if state == 0 else None, lambda: "x = ")
    assert complete_all(names, "ma") == ["max("]


def test_outside_quotes_names_complete_as_python_does() -> None:
    namespace = {"max": max, "min": min, "log_count": len}
    complete = path_completer(lambda: PATHS, rlcompleter.Completer(namespace).complete)
    assert complete_all(complete, "log_") == ["log_count("]
