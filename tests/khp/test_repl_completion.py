"""Tab completion in ``khp repl``: metric paths inside quotes, names elsewhere."""

from __future__ import annotations

import rlcompleter

from khp._repl import path_completer

PATHS = ["druid/overlord/taskSlot.total.count", "druid/overlord/taskSlot.used.count", "host/os/cpu.user"]


def complete_all(complete, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    while (match := complete(text, len(found))) is not None:
        found.append(match)
    return found


def test_a_quoted_prefix_completes_to_stored_metric_paths_with_the_same_quote() -> None:
    asked = []

    def paths() -> list[str]:
        asked.append(1)
        return PATHS

    complete = path_completer(paths, lambda text, state: None)
    assert complete_all(complete, "'druid/overlord/taskSlot.u") == ["'druid/overlord/taskSlot.used.count'"]
    assert complete_all(complete, '"druid/') == [f'"{p}"' for p in PATHS[:2]]
    assert complete_all(complete, "'kafka/") == []
    assert len(asked) == 1  # the store is asked once per session


def test_outside_quotes_names_complete_as_python_does() -> None:
    namespace = {"max": max, "min": min, "log_count": len}
    complete = path_completer(lambda: PATHS, rlcompleter.Completer(namespace).complete)
    assert complete_all(complete, "log_") == ["log_count("]
