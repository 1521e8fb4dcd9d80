"""Process states polled live from Supervisor's XML-RPC API on every host of the inventory.

One poll per evaluation time: ``states``, ``seen`` and ``unreachable`` asked for the same
time share it. Each host is asked ``supervisor.getAllProcessInfo`` concurrently (at most
``parallel`` at once, each within ``timeout``); a host that does not answer is reported by
``unreachable`` with the reason and never raises. Supervisor knows only the present, so a
query for a time more than a window ago raises ``SourceError``: evaluate the past against
the embedded store. ``seen`` adds to each poll what earlier polls of this process saw.

Records carry Supervisor's fields; ``time`` is the host's ``now``, on the same clock as
``start`` and ``stop``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from khp.configuration import Config, ConfigSection, format_duration, format_time
from khp.records import PROCESS_STATES, ProcessState

from ._errors import SourceError
from ._model import ProcessQuery
from ._xmlrpc import RpcError, basic_auth, call

DEFAULT_URL = "http://{host}:9001/RPC2"
DEFAULT_TIMEOUT = 5.0
DEFAULT_PARALLEL = 64
METHOD = "supervisor.getAllProcessInfo"
_OPTIONS = ("url", "addresses", "hosts", "username", "password_env", "timeout", "parallel")
_KEEP_POLLS = 8

Unreachable = tuple[str, str, str]


@dataclass(frozen=True)
class Poll:
    """What one round over the hosts found, as of the evaluation time ``at``."""

    at: float
    states: tuple[ProcessState, ...]
    unreachable: tuple[Unreachable, ...]
    seconds: float


class SupervisorProcesses:
    """A ``ProcessSource`` that asks each host's supervisord for its processes."""

    name = "supervisor"

    def __init__(
        self,
        hosts: Mapping[str, Iterable[str]],
        *,
        url: str = DEFAULT_URL,
        addresses: Mapping[str, str] | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        parallel: int = DEFAULT_PARALLEL,
        window: float = 600.0,
        memory: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``hosts`` maps each cluster to its hosts; ``addresses`` maps a host to ``address[:port]``."""
        self._hosts = {cluster: tuple(dict.fromkeys(names)) for cluster, names in hosts.items()}
        self._urls = {
            host: host_url(url, host, (addresses or {}).get(host)) for names in self._hosts.values() for host in names
        }
        self._authorization = basic_auth(username, password or "") if username else None
        self.timeout = timeout
        self.parallel = parallel
        self._window = window
        self._memory = memory
        self._clock = clock
        self._lock = threading.Lock()
        self._polls: OrderedDict[tuple[float, tuple[str, ...] | None], Future[Poll]] = OrderedDict()
        self._seen: dict[tuple[str, str, str], list[float]] = {}  # (cluster, host, name) -> [first, last]
        self._last: dict[str, tuple[float, list[ProcessState]]] = {}  # host -> its last answer
        self.polls = 0

    def url(self, host: str) -> str:
        """The XML-RPC endpoint polled for ``host``."""
        return self._urls[host]

    def states(self, query: ProcessQuery) -> Sequence[ProcessState]:
        return self.poll(query).states

    def unreachable(self, query: ProcessQuery) -> Sequence[Unreachable]:
        return self.poll(query).unreachable

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        """Processes of this poll and of earlier polls whose sightings overlap ``(start, end]``."""
        self.poll(query)
        wanted = set(query.clusters) if query.clusters is not None else None
        with self._lock:
            return sorted(
                key
                for key, (first, last) in self._seen.items()
                if last > query.start and first <= query.end and (wanted is None or key[0] in wanted)
            )

    def poll(self, query: ProcessQuery) -> Poll:
        """The poll for ``query.end`` (and its clusters): made now by the first caller, shared by the rest."""
        oldest = self._clock() - self._window
        if query.end < oldest:
            raise SourceError(
                self.name,
                f"cannot report process states as of {format_time(query.end)}: Supervisor knows only the present"
                f" (the last {format_duration(self._window)}); past-time evaluation needs the embedded store"
                " (sources.processes.type: embedded, loaded with 'khp load processes')",
            )
        key = (query.end, query.clusters)
        with self._lock:
            future = self._polls.get(key)
            mine = future is None
            if future is None:
                future = self._polls[key] = Future()
                while len(self._polls) > _KEEP_POLLS:
                    self._polls.popitem(last=False)
        if mine:
            try:
                future.set_result(self._collect(query.end, query.clusters))
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def _collect(self, at: float, clusters: tuple[str, ...] | None) -> Poll:
        began = time.perf_counter()
        where: dict[str, list[str]] = {}  # host -> its clusters (a host is asked once)
        for cluster, names in self._hosts.items():
            if clusters is None or cluster in clusters:
                for host in names:
                    where.setdefault(host, []).append(cluster)
        with ThreadPoolExecutor(max(1, min(self.parallel, len(where))), thread_name_prefix="khp-supervisor") as pool:
            answers = list(pool.map(lambda host: self._ask(host, where[host], at), where))
        answered = [state for found, reason in answers if not reason for state in found]
        answers = [
            self._or_last_known(host, at, found, reason) for host, (found, reason) in zip(where, answers, strict=True)
        ]
        states = sorted((s for found, _reason in answers for s in found), key=lambda s: (s.cluster, s.host, s.name))
        unreachable = sorted(
            (c, host, reason)
            for host, (_found, reason) in zip(where, answers, strict=True)
            if reason
            for c in where[host]
        )
        self._remember(at, answered)  # kept states of silent hosts are not new sightings
        with self._lock:
            self.polls += 1
        return Poll(at, tuple(states), tuple(unreachable), time.perf_counter() - began)

    def _ask(self, host: str, clusters: Sequence[str], at: float) -> tuple[list[ProcessState], str]:
        """The host's processes as records of each of its clusters, or none and why."""
        try:
            answer = call(self._urls[host], METHOD, timeout=self.timeout, authorization=self._authorization)
        except RpcError as exc:
            if exc.status == 401:
                return [], "401 Unauthorized: check username/password_env"
            if "UNKNOWN_METHOD" in str(exc):
                return [], f"{exc}; is [rpcinterface:supervisor] in its supervisord.conf?"
            return [], str(exc)
        except Exception as exc:  # a host's odd answer must not stop the round
            return [], f"{type(exc).__name__}: {exc}"
        problem = _check(answer)
        if problem:
            return [], f"unexpected answer to {METHOD}: {problem}"
        return [_state(cluster, host, info, at) for cluster in clusters for info in answer], ""

    def _or_last_known(
        self, host: str, at: float, found: list[ProcessState], reason: str
    ) -> tuple[list[ProcessState], str]:
        """A host that did not answer keeps its last states for a window, as the embedded store does.

        Otherwise a FATAL process would look healed the moment its host stopped answering:
        missing data never looks like recovery (DESIGN §5). A process last seen RUNNING cannot be
        vouched for, so it becomes UNKNOWN (a ZooKeeper quorum then counts it as down).
        "Supervisor unreachable" fires meanwhile.
        """
        with self._lock:
            if not reason:
                self._last[host] = (at, found)
                return found, reason
            last = self._last.get(host)
        if last is None or not at - self._window < last[0] <= at:
            return [], reason
        kept = [
            dataclasses.replace(
                state,
                statename="UNKNOWN",
                state=PROCESS_STATES["UNKNOWN"],
                description=f"last seen RUNNING; supervisor unreachable: {reason}",
            )
            if state.running
            else state
            for state in last[1]
        ]
        return kept, reason

    def _remember(self, at: float, states: Sequence[ProcessState]) -> None:
        with self._lock:
            for state in states:
                seen = self._seen.setdefault((state.cluster, state.host, state.name), [at, at])
                seen[0], seen[1] = min(seen[0], at), max(seen[1], at)
            for key in [k for k, (_first, last) in self._seen.items() if last < at - self._memory]:
                del self._seen[key]


def _check(answer: Any) -> str:
    """Why ``answer`` is not a list of Supervisor process records, or ``''``."""
    if not isinstance(answer, list):
        return f"expected a list of processes, got {type(answer).__name__}"
    for info in answer:
        if not isinstance(info, dict):
            return f"expected process records, got {type(info).__name__}"
        for field, kinds in (("name", str), ("statename", str), ("state", int)):
            if not isinstance(info.get(field), kinds):
                return f"a process record without {field}: {info!r:.200}"
    return ""


def _state(cluster: str, host: str, info: Mapping[str, Any], at: float) -> ProcessState:
    def number(field: str) -> float:
        value = info.get(field)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0

    now = number("now")
    return ProcessState(
        time=now if now > 0 else at,  # the host's clock, like start and stop
        cluster=cluster,
        host=host,
        name=info["name"],
        statename=info["statename"],
        group=str(info.get("group") or info["name"]),
        state=info["state"],
        start=number("start"),
        stop=number("stop"),
        pid=int(number("pid")),
        exitstatus=int(number("exitstatus")),
        spawnerr=str(info.get("spawnerr") or ""),
        description=str(info.get("description") or ""),
    )


def host_url(template: str, host: str, address: str | None = None) -> str:
    """``template`` filled in for ``host``; ``address`` (``name[:port]``) replaces its host and port."""
    url = template.format(host=host)
    if address is None:
        return url
    parts = urlsplit(url)
    override = urlsplit(f"//{address}")
    hostname = override.hostname or ""
    port = override.port or parts.port
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    return urlunsplit(parts._replace(netloc=f"{netloc}:{port}" if port else netloc))


def supervisor_processes(config: Config, store: object = None) -> SupervisorProcesses:
    """The Supervisor source ``config.sources.processes`` describes; ``store`` is not used.

    Hosts are those of the cluster files' ``hosts:`` plus ``hosts`` in the options; the
    password comes from the environment variable ``password_env`` names.
    """
    options = ConfigSection(config.file, "sources.processes", dict(config.sources.processes.options))
    options.only(_OPTIONS)
    template = options.string("url", DEFAULT_URL)
    _check_url(options, template)
    addresses = options.section("addresses")
    for host, address in addresses.data.items():
        if not _is_address(address):
            raise addresses.error(str(host), f"expected 'address' or 'address:port', got {address!r}")
    hosts: dict[str, list[str]] = {name: list(cluster.hosts) for name, cluster in config.clusters.items()}
    extra = options.section("hosts")
    for cluster in extra.data:
        hosts.setdefault(str(cluster), []).extend(extra.strings(str(cluster)))
    username = options.string("username") if options.has("username") else None
    password = None
    if options.has("password_env"):
        variable = options.string("password_env")
        if username is None:
            raise options.error("password_env", "needs username as well")
        password = os.environ.get(variable)
        if password is None:
            raise options.error("password_env", f"the environment variable {variable} is not set")
    elif username is not None:
        raise options.error("username", "needs password_env: the name of the environment variable holding the password")
    return SupervisorProcesses(
        hosts,
        url=template,
        addresses={str(host): str(address) for host, address in addresses.data.items()},
        username=username,
        password=password,
        timeout=options.duration("timeout", DEFAULT_TIMEOUT),
        parallel=options.integer("parallel", DEFAULT_PARALLEL),
        window=config.evaluation.window,
        memory=config.inventory.window,
    )


def _is_address(address: object) -> bool:
    if not isinstance(address, str) or "/" in address:
        return False
    try:
        parts = urlsplit(f"//{address}")
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError:
        return False
    return bool(parts.hostname)


def _check_url(options: ConfigSection, template: str) -> None:
    try:
        parts = urlsplit(template.format(host="host"))
        parts.port  # noqa: B018 (a bad port raises here)
    except (KeyError, IndexError, ValueError) as exc:
        raise options.error("url", f"only {{host}} may be filled in, and the port must be a number ({exc})") from None
    if "{host}" not in template or parts.scheme not in ("http", "https") or not parts.hostname:
        raise options.error("url", f"expected an http:// or https:// URL with {{host}} in it, got {template!r}")
