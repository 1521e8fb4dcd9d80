"""``khp repl``: the monitor DSL at a Python prompt, as the seed's irb session.

    >>> max('druid/overlord/taskSlot.used.count')
    [{'cluster': 'alpha', 'value': 599.0}, {'cluster': 'beta', 'value': 512.0}]

Every line is evaluated as of ``at`` (now by default) with fresh queries; metric paths
complete with Tab inside a string, and the history is kept in ``~/.khp_history``.
"""

from __future__ import annotations

import argparse
import builtins
import code
import contextlib
import os
import pprint
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evaluator import Monitor, Problem, Vector
from evaluator._context import EvaluationContext
from evaluator._queries import CycleQueries
from khp.configuration import Config, format_time, parse_time
from khp.sources import Sources

from ._commands import help_of
from ._common import runtime, time_option

HISTORY = Path(os.environ.get("KHP_HISTORY", "~/.khp_history")).expanduser()
DSL_NAMES = (
    "all",
    "max",
    "min",
    "sum",
    "avg",
    "count",
    "w",
    "c",
    "log_count",
    "processes",
    "process_count",
    "hosts",
    "host_count",
    "running_count",
    "roles",
    "hosts_without",
    "missing_roles",
    "silent_hosts",
    "unreachable_hosts",
    "log_search",
)


class _Scratch(Monitor):
    """The monitor a REPL session without a named monitor works in."""

    def run(self) -> None:
        """Nothing: the REPL's lines are the monitor."""


class MonitorShell:
    """The state of a REPL session: a monitor instance whose context is renewed per statement."""

    def __init__(self, config: Config, sources: Sources, monitor: type[Monitor] | None, at: float | None) -> None:
        self.config = config
        self.sources = sources
        self.monitor_class = monitor or _Scratch
        self.at = at
        self._pool = ThreadPoolExecutor(config.evaluation.parallel_queries, thread_name_prefix="khp-repl")
        self.instance = self.monitor_class(self._context())

    def _context(self) -> EvaluationContext:
        import time

        when = self.at if self.at is not None else time.time()
        return EvaluationContext(self.config, self.sources, CycleQueries(self._pool), when)

    def refresh(self) -> None:
        """A new evaluation (fresh queries, current time unless pinned) for the next statement."""
        self.instance.context = self._context()
        self.instance._emits.clear()
        self.instance._checks.clear()

    def set_at(self, when: str | float | None) -> str:
        """Pin the evaluation time (``at('2026-11-29T10:00:00Z')``, ``at('now-1h')``) or unpin with ``at(None)``."""
        self.at = None if when is None else parse_time(when)
        self.refresh()
        return "evaluating as of " + (format_time(self.at) if self.at is not None else "now")

    def emit(self, *args: Any, **kwargs: Any) -> list[Problem]:
        """Emit and show the problems it makes."""
        self.instance.emit(*args, **kwargs)
        return self.instance.problems()

    def run(self) -> list[Problem]:
        """Run the whole monitor and return its problems."""
        self.refresh()
        self.instance.run()
        return self.instance.problems()

    def namespace(self) -> dict[str, Any]:
        names: dict[str, Any] = {name: getattr(self.instance, name) for name in DSL_NAMES}
        names.update(self=self.instance, emit=self.emit, run=self.run, at=self.set_at, pp=pprint.pprint)
        return names

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def display(value: Any) -> None:
    """Show vectors and problem lists the way the seed's REPL does, one element a line when long."""
    if value is None:
        return
    builtins._ = value  # type: ignore[attr-defined]
    if isinstance(value, Vector):
        value = value.to_list()
    elif isinstance(value, list) and value and all(isinstance(p, Problem) for p in value):
        print("\n".join(p.summary() for p in value))
        return
    print(repr(value))


class MonitorConsole(code.InteractiveConsole):
    """An interactive console that starts a fresh evaluation before each statement."""

    def __init__(self, shell: MonitorShell) -> None:
        super().__init__(locals=shell.namespace(), filename="<khp>")
        self.shell = shell

    quiet = False

    def raw_input(self, prompt: str = "") -> str:
        return input("" if self.quiet else prompt)

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        if source.strip():
            self.shell.refresh()
        return super().runsource(source, filename, symbol)


def path_completer(
    paths: Callable[[], list[str]],
    fallback: Callable[[str, int], str | None],
    line_before: Callable[[], str] = lambda: "",
) -> Callable[[str, int], str | None]:
    """Complete metric paths inside a quoted string, one segment at a time; names elsewhere.

    ``line_before()`` is the line up to where ``text`` starts (readline splits words at ``/``, so
    ``text`` may be the last segment only): ``all('hd`` completes to ``all('hdfs/``, then
    ``all('hdfs/`` offers ``namenode/`` and ``datanode/``, and a whole path gets its closing quote.
    """
    cache: list[str] = []

    def complete(text: str, state: int) -> str | None:
        before = line_before()
        full = before + text
        opened = _open_quote(full)
        if opened is None:
            return fallback(text, state)
        if not cache:
            cache.extend(paths())
        quote = full[opened]
        typed = full[opened + 1 :]
        found = sorted({_next_segment(path, typed, quote) for path in cache if path.startswith(typed)})
        matches = [(full[: opened + 1] + match)[len(before) :] for match in found]
        return matches[state] if state < len(matches) else None

    return complete


def _next_segment(path: str, typed: str, quote: str) -> str:
    """``path`` completed from ``typed`` to the end of its next segment (with the closing quote at the end)."""
    cut = path.find("/", len(typed))
    return path[: cut + 1] if cut >= 0 else path + quote


def _open_quote(line: str) -> int | None:
    """Where the string still open at the end of ``line`` starts, if one is."""
    start: int | None = None
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and start is not None:
            escaped = True
        elif start is None and char in "'\"":
            start = index
        elif start is not None and char == line[start]:
            start = None
    return start


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``repl [MONITOR] [--at TIME]`` on the ``khp`` subcommands."""
    repl = sub.add_parser("repl", parents=[common], help=help_of("repl"))
    repl.add_argument("monitor", nargs="?", help="work inside this monitor (run() runs it)")
    repl.add_argument("--at", help="evaluate as of this time: ISO-8601, epoch seconds, now-1h (default: now)")


def run_command(args: argparse.Namespace, config: Config) -> int:
    """Start the REPL of a parsed ``repl``."""
    at = time_option(args.at)
    rt = runtime(config, [args.monitor] if args.monitor else [], existing_store=True)
    shell = MonitorShell(config, rt.sources, rt.monitors[0] if args.monitor else None, at)
    assert rt.store is not None
    return interact(shell, rt.store.metric_paths)


def interact(shell: MonitorShell, paths: Callable[[], list[str]]) -> int:
    console = MonitorConsole(shell)
    sys.displayhook = display
    interactive = sys.stdin.isatty()
    console.quiet = not interactive
    if interactive:
        try:
            import readline
            import rlcompleter
        except ImportError:
            pass
        else:
            readline.set_completer_delims(" \t\n()[]{},=+-*/<>!")
            names = rlcompleter.Completer(console.locals).complete
            before = lambda: readline.get_line_buffer()[: readline.get_begidx()]  # noqa: E731
            readline.set_completer(path_completer(paths, names, before))
            readline.parse_and_bind("tab: complete")
            with contextlib.suppress(OSError):
                readline.read_history_file(HISTORY)
            import atexit

            atexit.register(_save_history, readline)
    when = format_time(shell.at) if shell.at is not None else "now"
    banner = (
        f"khp repl: {shell.monitor_class.__name__}, evaluating as of {when}.\n"
        "max('druid/overlord/taskSlot.used.count'), w('druid_slot_used_percent'), run(), at('now-1h'); "
        "Tab completes metric paths in quotes; Ctrl-D quits."
    )
    try:
        console.interact(banner=banner if interactive else "", exitmsg="")
    finally:
        sys.displayhook = sys.__displayhook__
        shell.close()
    return 0


def _save_history(readline: Any) -> None:
    try:
        readline.set_history_length(2000)
        readline.write_history_file(HISTORY)
    except OSError:
        pass
