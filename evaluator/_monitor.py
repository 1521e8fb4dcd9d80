"""``Monitor``: the base class of every monitor, and the DSL it offers."""

from __future__ import annotations

import abc
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar

from khp.configuration import parse_duration
from khp.records import PROCESS_STATES, ProcessState
from khp.sources import SourceError

from ._context import EvaluationContext, parse_role
from ._errors import DslError
from ._inventory import Inventory
from ._problem import RESERVED_CHECKS, Problem
from ._thresholds import Thresholds
from ._vector import Element, Vector


@dataclass(frozen=True)
class _Emit:
    check: str
    severity: str
    vector: Vector
    description: str
    pending: float | None
    file: str
    line: int
    action: str = ""


class Monitor(abc.ABC):
    """A monitor: ``run()`` queries vectors, compares them with thresholds and ``emit``s problems.

    Example::

        class DruidMonitor(Monitor):
            \"\"\"Druid overlord task slots.\"\"\"

            def run(self):
                used = self.max("druid/overlord/taskSlot.used.count") / \\
                       self.max("druid/overlord/taskSlot.total.count") * 100
                self.emit("Task slot usage",
                          warning=used > self.w("druid_slot_used_percent"),
                          critical=used > self.c("druid_slot_used_percent"),
                          description="Task slot usage above threshold")

    Every query starts when it is asked for and is awaited when its value is first used, so
    the queries of a monitor run in parallel. Class attributes: ``thresholds`` (the default
    warning and critical value of each threshold key it uses, a literal dict such as
    ``{"druid_slot_used_percent": {"warning": 80, "critical": 90, "meaning": "task slots used, %"}}``;
    khp.yml and the cluster files override levels of it), ``service`` (the ``service`` label of
    its alerts; the module name by default) and ``pending`` (how long a problem must last before
    it is sent, e.g. ``"10m"``; the cluster's or global setting by default).
    """

    thresholds: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    service: ClassVar[str] = ""
    pending: ClassVar[str | float | None] = None

    def __init__(self, context: EvaluationContext) -> None:
        self.context = context
        self._emits: list[_Emit] = []
        self._checks: dict[str, int] = {}  # check name -> line of its emit: one emit per check

    @abc.abstractmethod
    def run(self) -> None:
        """Query, compare and ``emit``; called once per cycle."""

    @classmethod
    def monitor_name(cls) -> str:
        return cls.__name__

    @classmethod
    def service_name(cls) -> str:
        return cls.service or cls.__module__.rsplit(".", 1)[-1]

    @property
    def at(self) -> float:
        """The evaluation time (epoch seconds) of this run."""
        return self.context.at

    # -- metrics -----------------------------------------------------------------------------

    def all(self, path: str, window: str | float | None = None) -> Vector:
        """Each host's latest value of ``service/role/name`` in the window: a host-level vector."""
        return self._metric(path, None, window)

    def max(self, path: str, window: str | float | None = None) -> Vector:
        """Per cluster, the largest of its hosts' latest values."""
        return self._metric(path, "max", window)

    def min(self, path: str, window: str | float | None = None) -> Vector:
        """Per cluster, the smallest of its hosts' latest values."""
        return self._metric(path, "min", window)

    def sum(self, path: str, window: str | float | None = None) -> Vector:
        """Per cluster, the sum of its hosts' latest values."""
        return self._metric(path, "sum", window)

    def avg(self, path: str, window: str | float | None = None) -> Vector:
        """Per cluster, the mean of its hosts' latest values."""
        return self._metric(path, "avg", window)

    def count(self, path: str, window: str | float | None = None) -> Vector:
        """Per cluster, how many hosts reported ``path`` in the window."""
        return self._metric(path, "count", window)

    def _metric(self, path: str, aggregate: str | None, window: str | float | None) -> Vector:
        seconds = _seconds(window, "window") if window is not None else None
        future = self.context.metric(path, aggregate, seconds)
        label = f"{aggregate or 'all'}({path!r})"
        return Vector._derived(future.result, label)

    # -- thresholds ----------------------------------------------------------------------------

    def w(self, key: str) -> Thresholds:
        """The warning threshold ``key``, per cluster."""
        return Thresholds(self.context.config, _key(key), "warning", self.monitor_name())

    def c(self, key: str) -> Thresholds:
        """The critical threshold ``key``, per cluster."""
        return Thresholds(self.context.config, _key(key), "critical", self.monitor_name())

    # -- logs ------------------------------------------------------------------------------------

    def log_count(self, path: str, period: str | float = "PT10M", by: str = "host") -> Vector:
        """Log lines of ``service/role/pattern`` in the last ``period``, per host (or ``by="cluster"``).

        The pattern matches a word of the message, ignoring case; ``*`` is any run of
        characters and ``?`` one: ``log_count("hbase/regionserver/responseToo*", period="PT10M")``
        counts both ``(responseTooSlow)`` and ``(responseTooLarge)`` lines. A host the inventory
        knows runs the role counts 0 when it has no matching line (a cluster with the role, with
        ``by="cluster"``): absence of lines is evidence, not a gap in the data.
        """
        future = self.context.log_count(path, _seconds(period, "period"), by)
        role = "/".join(path.split("/", 2)[:2])
        inventory = self.context.inventory()

        def counts() -> list[Element]:
            found = list(future.result())
            known = _known(inventory, lambda inv: inv.hosts_with(role) if by == "host" else inv.clusters_with(role))
            have = {(e.cluster, e.host) for e in found}
            labels = [label if by == "host" else (label, None) for label in known]
            return found + [Element(c, h, 0.0) for c, h in labels if (c, h) not in have]

        return Vector(counts, f"log_count({path!r})")

    def log_search(self, body: Mapping[str, Any], index: str | None = None) -> Vector:
        """Run an Elasticsearch ``_search`` body as it is: the escape hatch for what a pattern can't say.

        The answer must have a terms aggregation on the cluster field named ``by_cluster``; a terms
        aggregation on the host field named ``by_host`` inside it makes the vector host-level. Each
        bucket's value is its single-value metric sub-aggregation named ``value`` (``max``, ``avg``,
        ``sum``...) or else its ``doc_count``. The body is sent unchanged, so give it its own time
        range built from ``self.at`` (past-time evaluation then works)::

            slow = self.log_search({"size": 0,
                "query": {"bool": {"filter": [{"term": {"service": "hbase"}},
                    {"range": {"@timestamp": {"gt": iso(self.at - 600), "lte": iso(self.at)}}}]}},
                "aggs": {"by_cluster": {"terms": {"field": "cluster"},
                         "aggs": {"by_host": {"terms": {"field": "host"},
                                  "aggs": {"value": {"max": {"field": "processingtimems"}}}}}}}})
            self.emit("Slowest call", warning=slow > self.w("hbase_slowest_call_ms"))

        Only the Elasticsearch log source answers it; the embedded store raises a source error.
        """
        future = self.context.log_search(body, index)
        return Vector._derived(future.result, "log_search(...)")

    # -- processes and inventory -----------------------------------------------------------------

    def processes(self, role: str | None = None, state: str | Iterable[str] | None = None) -> list[ProcessState]:
        """The latest state of every process in the window, optionally of one role and in some states."""
        return self._select(self.context.process_states().result(), role, state)

    def _select(
        self, processes: Iterable[ProcessState], role: str | None, state: str | Iterable[str] | None
    ) -> list[ProcessState]:
        wanted_role = parse_role(role) if role is not None else None
        states = _states(state)
        return [
            process
            for process in processes
            if (wanted_role is None or self.context.role_of(process.name) == wanted_role)
            and (states is None or process.statename in states)
        ]

    def process_count(self, state: str | Iterable[str], role: str | None = None) -> Vector:
        """Per host, how many processes are in ``state``: 0 on a host that reported process states
        (and runs ``role``) with none in it. A host that reported nothing in the window has no data."""
        _states(state)  # bad arguments fail here, at the monitor's line, not when the vector is used
        if role is not None:
            parse_role(role)
        inventory = self.context.inventory() if role is not None else None

        def count() -> list[Element]:
            every = self.context.process_states().result()
            found: dict[tuple[str, str], list[ProcessState]] = defaultdict(list)
            for process in self._select(every, role, state):
                found[(process.cluster, process.host)].append(process)
            counted = [
                Element(cluster, host, float(len(procs)), detail=", ".join(_describe(p) for p in procs))
                for (cluster, host), procs in found.items()
            ]
            reporting = {(p.cluster, p.host) for p in every}
            if role is not None:
                runs = set(_known(inventory, lambda inv: inv.hosts_with(role)))
                reporting = {label for label in reporting if label in runs}
            return counted + [Element(c, h, 0.0) for c, h in sorted(reporting - found.keys())]

        return Vector(count, f"process_count({state!r})")

    def hosts(self, role: str) -> Vector:
        """The hosts that run ``role`` by the inventory, each with value 1 (every other known host: 0)."""
        role = parse_role(role)
        inventory = self.context.inventory()
        return Vector(
            lambda: [Element(c, h, 1.0) for c, h in inventory.result().hosts_with(role)],
            f"hosts({role!r})",
            domain=lambda: _known(inventory, lambda inv: inv.roles),
            zeros=True,
        )

    def host_count(self, role: str) -> Vector:
        """Per cluster that has ``role``, how many of its hosts run it by the inventory."""
        role = parse_role(role)
        inventory = self.context.inventory()

        def count() -> list[Element]:
            per_cluster = Counter(cluster for cluster, _host in inventory.result().hosts_with(role))
            return [Element(cluster, None, float(n)) for cluster, n in per_cluster.items()]

        return Vector(count, f"host_count({role!r})")

    def running_count(self, role: str) -> Vector:
        """Per cluster that has ``role``, how many of its processes are RUNNING (0 included)."""
        role = parse_role(role)
        inventory = self.context.inventory()

        def count() -> list[Element]:
            running = Counter(p.cluster for p in self.processes(role, "RUNNING"))
            return [Element(c, None, float(running[c])) for c in inventory.result().clusters_with(role)]

        return Vector(count, f"running_count({role!r})")

    def roles(self, cluster: str, host: str) -> frozenset[str]:
        """The roles a host runs by the inventory."""
        return self.context.inventory().result().roles_of(cluster, host)

    def hosts_without(self, role: str, having: str) -> Vector:
        """Hosts that run ``having`` but not ``role`` (a DataNode without its NodeManager), value 1."""
        role, having = parse_role(role), parse_role(having)
        inventory = self.context.inventory()

        def find() -> list[Element]:
            inv = inventory.result()
            return [
                Element(c, h, 1.0, detail=f"runs {having} without {role}")
                for c, h in inv.hosts_with(having)
                if role not in inv.roles_of(c, h)
            ]

        return Vector(
            find,
            f"hosts_without({role!r}, having={having!r})",
            domain=lambda: _known(inventory, lambda inv: inv.hosts_with(having)),
            zeros=True,
        )

    def missing_roles(self) -> Vector:
        """Hosts where a role their cluster file lists has no process in the window; value = how many."""
        inventory = self.context.inventory()

        def find() -> list[Element]:
            present: dict[tuple[str, str], set[str]] = defaultdict(set)
            for process in self.context.process_states().result():
                role = self.context.role_of(process.name)
                if role:
                    present[(process.cluster, process.host)].add(role)
            out = []
            for (cluster, host), expected in inventory.result().configured.items():
                missing = sorted(expected - present[(cluster, host)])
                if missing:
                    out.append(
                        Element(cluster, host, float(len(missing)), detail="no process for " + ", ".join(missing))
                    )
            return out

        return Vector(find, "missing_roles()", domain=lambda: _known(inventory, lambda inv: inv.configured), zeros=True)

    def silent_hosts(self) -> Vector:
        """Hosts known to the inventory that reported no process state in the window, value 1."""
        inventory = self.context.inventory()

        def find() -> list[Element]:
            reporting = {(p.cluster, p.host) for p in self.context.process_states().result()}
            return [
                Element(c, h, 1.0, detail="no process state in the window")
                for (c, h) in sorted(inventory.result().roles)
                if (c, h) not in reporting
            ]

        return Vector(find, "silent_hosts()", domain=lambda: _known(inventory, lambda inv: inv.roles), zeros=True)

    def unreachable_hosts(self) -> Vector:
        """Hosts whose process manager (Supervisor) did not answer, value 1, the reason as detail."""
        future = self.context.unreachable()
        inventory = self.context.inventory()
        return Vector(
            lambda: [Element(c, h, 1.0, detail=reason) for c, h, reason in future.result()],
            "unreachable_hosts()",
            domain=lambda: _known(inventory, lambda inv: inv.roles),
            zeros=True,
        )

    # -- problems ----------------------------------------------------------------------------------

    def emit(
        self,
        name: str,
        warning: Vector | None = None,
        critical: Vector | None = None,
        description: str = "",
        pending: str | float | None = None,
        action: str = "",
    ) -> None:
        """Report the elements of ``warning`` and ``critical`` as problems of check ``name``.

        Both levels are reported when both hold (Alertmanager inhibits the warning).
        ``pending`` overrides how long the problem must last before it is sent. ``action`` says
        what an operator does first; it travels with the alert (the ``action`` annotation) and
        into the check catalog (``khp monitors --markdown``).
        """
        if not isinstance(name, str) or not name.strip():
            raise DslError("emit needs a check name, for example emit('Too many tablets', ...)")
        if name in RESERVED_CHECKS:
            raise DslError(f"emit({name!r}): khp itself raises {name!r}; give the check another name")
        if not isinstance(action, str):
            raise DslError(
                f"emit({name!r}): action= is text (what an operator does first), got {type(action).__name__}"
            )
        caller = sys._getframe(1)
        wait = _seconds(pending, "pending") if pending is not None else None
        levels = [(level, v) for level, v in (("warning", warning), ("critical", critical)) if v is not None]
        for severity, vector in levels:  # check both before keeping either: a bad call emits nothing
            if not isinstance(vector, Vector):
                raise DslError(
                    f"emit({name!r}): {severity}= takes a vector (a comparison), got {type(vector).__name__}"
                )
        file, line = caller.f_code.co_filename, caller.f_lineno
        if name in self._checks:
            raise DslError(
                f"emit({name!r}) at line {line}: check {name!r} was already emitted at line {self._checks[name]};"
                " give each emit its own check name, or join the vectors first (a | b)",
                where=(file, line),
            )
        self._checks[name] = line
        for severity, vector in levels:
            self._emits.append(_Emit(name, severity, vector, description, wait, file, line, action))

    def coverage(self) -> dict[tuple[str, str], frozenset[tuple[str, str | None]]]:
        """Per (check, severity) emitted so far, the labels it had data for: the labels that are not
        problems are *ok*, and only they resolve an alert (this waits for the queries)."""
        found: dict[tuple[str, str], set[tuple[str, str | None]]] = defaultdict(set)
        for emit in self._emits:
            found[(emit.check, emit.severity)].update(emit.vector.domain)
        return {key: frozenset(labels) for key, labels in found.items()}

    def problems(self) -> list[Problem]:
        """The problems emitted so far, resolving their vectors (this waits for the queries)."""
        config = self.context.config
        found: dict[tuple, Problem] = {}
        for emit in self._emits:
            source = config.links.link(emit.file, emit.line, config.file)
            for element in emit.vector:
                if element.compare is None:
                    raise _uncompared(emit)
                description = emit.description
                if element.detail:
                    description = f"{description} ({element.detail})" if description else element.detail
                problem = Problem(
                    check=emit.check,
                    monitor=self.monitor_name(),
                    cluster=element.cluster,
                    host=element.host,
                    severity=emit.severity,
                    value=element.value,
                    compare=element.compare,
                    threshold=element.threshold,
                    description=description,
                    source=source,
                    service=self.service_name(),
                    pending=self._pending(emit, element.cluster),
                    action=emit.action,
                )
                found.setdefault(problem.key, problem)
        return list(found.values())

    def _pending(self, emit: _Emit, cluster: str) -> float:
        if emit.pending is not None:
            return emit.pending
        if self.pending is not None:
            return _seconds(self.pending, "pending")
        own = self.context.config.clusters.get(cluster)
        if own is not None and own.pending is not None:
            return own.pending
        return self.context.config.evaluation.pending


def _known(inventory: Future[Inventory] | None, pick: Callable[[Inventory], Iterable[Any]]) -> list[Any]:
    """What ``pick`` reads from the inventory; nothing if there is none or it failed (absence stays "no data")."""
    if inventory is None:
        return []
    try:
        return list(pick(inventory.result()))
    except SourceError:
        return []


def _states(state: str | Iterable[str] | None) -> set[str] | None:
    if state is None:
        return None
    states = {state} if isinstance(state, str) else set(state)
    for name in states:
        if name not in PROCESS_STATES:
            raise DslError(f"{name!r} is not a process state; use one of {', '.join(PROCESS_STATES)}")
    return states


def _describe(process: ProcessState) -> str:
    reason = process.spawnerr or process.description
    return f"{process.name}: {reason}" if reason else process.name


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise DslError(f"a threshold key is a string, got {key!r}")
    return key.lstrip(":")


def _seconds(value: str | float, what: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise DslError(f"{what}: {exc}") from None


def _uncompared(emit: _Emit) -> DslError:
    """``emit`` of a vector that was never compared would make every element a problem."""
    return DslError(
        f"emit({emit.check!r}) at line {emit.line}: {emit.severity}= got {emit.vector.label or 'a vector'}, which"
        f" carries no comparison, so every element would be a problem; compare it with a threshold,"
        f" e.g. {emit.severity}=value > self.{emit.severity[0]}('key')",
        where=(emit.file, emit.line),
    )
