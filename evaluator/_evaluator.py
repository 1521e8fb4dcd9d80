"""The evaluator: runs every monitor of a cycle in parallel, each within its timeout."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from khp.configuration import Config
from khp.sources import SourceError, Sources

from ._collector import collector_paused
from ._context import EvaluationContext
from ._coverage import Coverage
from ._errors import MonitorLoadError
from ._failure import failure_location, failure_message, failure_traceback
from ._feeds import FeedObservations, Feeds, FeedVerdict
from ._monitor import Monitor
from ._problem import MONITOR_FAILED, MONITOR_TIMED_OUT, SOURCE_UNAVAILABLE, Problem
from ._queries import CycleQueries, QueryStats


@dataclass
class MonitorRecord:
    """How one monitor's run went: ok, failed, timeout or skipped (still running from before)."""

    name: str
    status: str = "ok"
    seconds: float = 0.0
    problems: int = 0
    queries: int = 0
    error: str = ""
    traceback: str = ""  # for --verbose and khp run's log; not kept in the cycle record

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "seconds": round(self.seconds, 6),
            "problems": self.problems,
            "queries": self.queries,
            "error": self.error,
        }


@dataclass
class CycleRecord:
    """A cycle as it happened: when, for which time, how long, and each monitor's run."""

    at: float
    started: float
    seconds: float = 0.0
    monitors: dict[str, MonitorRecord] = field(default_factory=dict)
    queries: QueryStats = field(default_factory=QueryStats)

    @property
    def failed(self) -> list[str]:
        return sorted(name for name, record in self.monitors.items() if record.status != "ok")

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "started": self.started,
            "seconds": round(self.seconds, 6),
            "monitors": {name: record.as_dict() for name, record in sorted(self.monitors.items())},
            "queries": self.queries.as_dict(),
        }


@dataclass
class CycleResult:
    """A cycle's problems, its record, and the evidence it had (``None``: absent means ok, as before)."""

    problems: list[Problem]
    record: CycleRecord
    coverage: Coverage | None = None

    def covers(self, key: tuple) -> bool:
        """Was a key that is not a problem this cycle found *ok* (resolve it) rather than without data?"""
        return self.coverage is None or self.coverage.covers(key)

    @property
    def failed_monitors(self) -> list[str]:
        """Monitors whose problems are unknown this cycle: their earlier state must be kept."""
        return self.record.failed


@dataclass(frozen=True)
class _Outcome:
    problems: list[Problem]
    coverage: dict[tuple[str, str], frozenset[tuple[str, str | None]]]


class _Counting:
    """A monitor's view of the cycle's queries, counting what it asked for."""

    def __init__(self, queries: CycleQueries) -> None:
        self._queries = queries
        self.count = 0
        self.stats = queries.stats

    def submit(self, kind: str, key: Any, call: Callable[[], Any]) -> Any:
        self.count += 1
        return self._queries.submit(kind, key, call)


class Evaluator:
    """Runs monitors against sources; one ``cycle()`` evaluates all of them at one time."""

    def __init__(
        self,
        config: Config,
        sources: Sources,
        monitors: Sequence[type[Monitor]],
        clock: Callable[[], float] = time.time,
        feeds: Feeds | None = None,
    ) -> None:
        self.config = config
        self.sources = sources
        self.monitors = list(monitors)
        self.clock = clock
        self.feeds = feeds if feeds is not None else Feeds()
        self._pool = ThreadPoolExecutor(config.evaluation.parallel_queries, thread_name_prefix="khp-query")
        self._still_running: dict[str, tuple[threading.Thread, float]] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cycle(
        self,
        at: float | None = None,
        clusters: Sequence[str] | None = None,
        monitors: Sequence[type[Monitor]] | None = None,
    ) -> CycleResult:
        """Run ``monitors`` (all by default) as of ``at`` (now by default) and collect their problems."""
        with collector_paused():
            return self._cycle(at, clusters, monitors)

    def _cycle(
        self, at: float | None, clusters: Sequence[str] | None, monitors: Sequence[type[Monitor]] | None
    ) -> CycleResult:
        started = time.perf_counter()
        at = self.clock() if at is None else at
        queries = CycleQueries(self._pool)
        seen = FeedObservations()
        context = EvaluationContext(self.config, self.sources, queries, at, clusters, seen)
        record = CycleRecord(at=at, started=self.clock(), queries=queries.stats)
        problems: list[Problem] = []
        covered: dict[str, dict[tuple[str, str], frozenset[tuple[str, str | None]]]] = {}
        todo = list(self.monitors if monitors is None else monitors)
        by_name = {m.monitor_name(): m for m in todo}
        done: queue.Queue[tuple[str, float, _Outcome | None, BaseException | None, int]] = queue.Queue()
        running: dict[str, float] = {}
        timeout = self.config.evaluation.monitor_timeout
        limit = self.config.evaluation.parallel_monitors

        while todo or running:
            while todo and len(running) < limit:
                monitor = todo.pop(0)
                name = monitor.monitor_name()
                previous = self._still_running.get(name)
                if previous is not None and previous[0].is_alive():
                    record.monitors[name] = MonitorRecord(name, "skipped", error="still running since an earlier cycle")
                    problems.append(
                        self._failure(
                            monitor, MONITOR_TIMED_OUT, f"still running, started {time.time() - previous[1]:.0f}s ago"
                        )
                    )
                    continue
                running[name] = time.perf_counter()
                thread = threading.Thread(
                    target=self._run_one, args=(monitor, context, done), name=f"khp-monitor-{name}", daemon=True
                )
                self._still_running[name] = (thread, time.time())
                thread.start()
            if not running:
                break
            deadline = min(running.values()) + timeout
            try:
                name, seconds, found, error, asked = done.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                now = time.perf_counter()
                for name, began in list(running.items()):
                    if now - began >= timeout:
                        del running[name]
                        monitor = by_name[name]
                        record.monitors[name] = MonitorRecord(
                            name, "timeout", seconds=now - began, error=f"did not finish within {timeout:g}s"
                        )
                        problems.append(
                            self._failure(monitor, MONITOR_TIMED_OUT, f"did not finish within {timeout:g}s")
                        )
                continue
            if name not in running:
                continue  # it finished after it was given up on; its result is not trusted
            del running[name]
            self._still_running.pop(name, None)
            monitor = by_name[name]
            if error is None:
                assert found is not None
                problems.extend(found.problems)
                covered[name] = found.coverage
                record.monitors[name] = MonitorRecord(name, "ok", seconds, len(found.problems), asked)
            else:
                check = SOURCE_UNAVAILABLE if isinstance(error, SourceError) else MONITOR_FAILED
                file, line = failure_location(monitor, error)
                message = failure_message(error, file, line, located=check == MONITOR_FAILED)
                record.monitors[name] = MonitorRecord(
                    name, "failed", seconds, 0, asked, message, traceback=failure_traceback(error)
                )
                # A monitor that could not even be loaded watches nothing at all: that is critical.
                critical = isinstance(error, MonitorLoadError)
                # The link leads to the line that raised; a source's failure is the source's, not a line's.
                where = (file, line) if check == MONITOR_FAILED else None
                problems.append(self._failure(monitor, check, message, where, critical))
        verdict = self._judge_feeds(seen, at, clusters)
        problems.extend(verdict.problems)
        coverage = Coverage.of(covered, by_name, verdict.fine)
        record.seconds = time.perf_counter() - started
        return CycleResult(sorted(problems, key=_order), record, coverage)

    def _judge_feeds(self, seen: FeedObservations, at: float, clusters: Sequence[str] | None) -> FeedVerdict:
        """Take the freshness this cycle saw (waiting a little for its own queries) and judge every feed."""
        deadline = time.perf_counter() + self.config.evaluation.monitor_timeout
        for future in list(seen.pending):
            try:
                future.result(timeout=max(0.0, deadline - time.perf_counter()))
            except Exception:  # a freshness query that failed or hangs only leaves that feed unknown
                continue
        self.feeds.update(seen.newest)
        return self.feeds.judge(at, self.config, clusters)

    def _run_one(self, monitor: type[Monitor], context: EvaluationContext, done: queue.Queue) -> None:
        began = time.perf_counter()
        counting = _Counting(context.queries)
        own = EvaluationContext(
            context.config,
            context.sources,
            counting,  # type: ignore[arg-type]
            context.at,
            context.clusters,
            context.feeds,
        )
        try:
            instance = monitor(own)
            instance.run()
            found = _Outcome(instance.problems(), instance.coverage())
        except BaseException as exc:  # a monitor's bug must not stop the cycle
            done.put((monitor.monitor_name(), time.perf_counter() - began, None, exc, counting.count))
            return
        done.put((monitor.monitor_name(), time.perf_counter() - began, found, None, counting.count))

    def _failure(
        self,
        monitor: type[Monitor],
        check: str,
        message: str,
        where: tuple[str, int] | None = None,
        critical: bool = False,
    ) -> Problem:
        severity = "critical" if check == SOURCE_UNAVAILABLE or critical else "warning"
        return Problem(
            check=check,
            monitor=monitor.monitor_name(),
            cluster=None,
            host=None,
            severity=severity,
            value=None,
            compare=None,
            threshold=None,
            description=message,
            source=_source_of(monitor, self.config, where),
            service="khp",
            pending=0.0,
        )


def _source_of(monitor: type[Monitor], config: Config, where: tuple[str, int] | None = None) -> str:
    import inspect

    if where is None:
        try:
            where = (inspect.getsourcefile(monitor) or "", inspect.getsourcelines(monitor)[1])
        except (OSError, TypeError):
            return monitor.__module__
    return config.links.link(where[0], where[1], config.file)


def _order(problem: Problem) -> tuple:
    return (problem.cluster or "", problem.host or "", problem.check, problem.severity)
