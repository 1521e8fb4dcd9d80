"""The Supervisor process source against real supervisord processes on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import xmlrpc.server
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluator import SOURCE_UNAVAILABLE, Evaluator, Monitor, Problem
from khp.configuration import Config, ConfigError, load_config
from khp.records import ProcessState
from khp.sources import EmbeddedLogs, EmbeddedMetrics, ProcessQuery, SourceError, Sources
from khp.sources._supervisor import SupervisorProcesses, host_url, supervisor_processes
from khp.store import Store
from tests.realparts.supervisor import Program, Supervisord

KHP_YML = Path(__file__).resolve().parents[2] / "khp.yml"
PASSWORD_ENV = "KHP_TEST_SUPERVISOR_PASSWORD"
FATAL_REASON = "Exited too quickly (process log may have details)"

# cluster -> host -> roles, as the cluster files list them
ALPHA = {
    "a-dn1": ["hdfs/datanode", "yarn/nodemanager", "hbase/regionserver", "zookeeper/server"],
    "a-zk1": ["zookeeper/server", "kafka/broker"],
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Supervisord]]:
    """Three supervisords: a DataNode host, a ZooKeeper host, and one whose password the source gets wrong."""
    root = tmp_path_factory.mktemp("fleet")
    supervisors = {
        "a-dn1": Supervisord(
            root / "a-dn1",
            [
                Program("hdfs-datanode", "sleep 3600"),
                # Exits at once, no retry: FATAL. startsecs is long so that a busy supervisord reaping it late
                # still counts it as exiting too quickly (else it would be EXITED).
                Program("yarn-nodemanager", "false", startsecs=10, startretries=0),
                Program("hbase-regionserver", "sh -c 'sleep 1.5; exit 3'"),  # runs past startsecs, exits: EXITED
                Program("zookeeper-server", "sleep 3600"),
            ],
        ),
        "a-zk1": Supervisord(
            root / "a-zk1",
            [
                Program("zookeeper-server", "sleep 3600"),
                Program("kafka-broker", "false", startsecs=10, startretries=1000),  # exits at once, retried: BACKOFF
            ],
        ),
        "b-locked": Supervisord(
            root / "b-locked", [Program("hdfs-journalnode", "sleep 3600")], password="not-the-one-khp-has"
        ),
    }
    try:
        for supervisor in supervisors.values():
            supervisor.start()
        for supervisor in supervisors.values():
            supervisor.wait_ready()
        supervisors["a-dn1"].wait_for("yarn-nodemanager", "FATAL")
        supervisors["a-dn1"].wait_for("hbase-regionserver", "EXITED")
        yield supervisors
    finally:
        for supervisor in supervisors.values():
            supervisor.terminate()
        for supervisor in supervisors.values():
            supervisor.stop()


@pytest.fixture
def doomed(tmp_path: Path) -> Iterator[Supervisord]:
    """A third ZooKeeper host, for a test to stop midway."""
    with Supervisord(tmp_path / "a-zk3", [Program("zookeeper-server", "sleep 3600")]) as supervisor:
        supervisor.wait_for("zookeeper-server", "RUNNING")
        yield supervisor


@pytest.fixture
def hung() -> Iterator[str]:
    """A loopback port that takes connections and never answers: a hung supervisord."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def odd_servers() -> Iterator[dict[str, str]]:
    """Loopback servers that answer, but not as Supervisor: plain text, and XML-RPC of the wrong shape."""

    class Text(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello, this is not XML")

        def log_message(self, *args: Any) -> None:
            pass

    text = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Text)
    rpc = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False)
    rpc.register_function(lambda: "all fine", "supervisor.getAllProcessInfo")
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in (text, rpc)]
    for thread in threads:
        thread.start()
    yield {"b-text": f"127.0.0.1:{text.server_address[1]}", "b-shape": f"127.0.0.1:{rpc.server_address[1]}"}
    for server in (text, rpc):
        server.shutdown()
        server.server_close()


def write_config(
    directory: Path, clusters: Mapping[str, Mapping[str, Sequence[str]]], options: Mapping[str, Any]
) -> Path:
    """A khp.yml with the shipped thresholds, ``sources.processes`` = ``options``, and one file per cluster."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "clusters").mkdir(exist_ok=True)
    thresholds = yaml.safe_load(KHP_YML.read_text())["thresholds"]
    top = {
        "sources": {"processes": dict(options)},
        "store": "var/khp.db",
        "thresholds": thresholds,
        "clusters_dir": "clusters",
    }
    (directory / "khp.yml").write_text(yaml.safe_dump(top))
    for name, hosts in clusters.items():
        (directory / "clusters" / f"{name}.yml").write_text(
            yaml.safe_dump({"hosts": {h: list(r) for h, r in hosts.items()}})
        )
    return directory / "khp.yml"


def supervisor_config(
    directory: Path,
    clusters: Mapping[str, Mapping[str, Sequence[str]]],
    addresses: Mapping[str, str],
    **options: Any,
) -> Config:
    settings = {
        "type": "supervisor",
        "username": "khp",
        "password_env": PASSWORD_ENV,
        "timeout": "2s",
        "addresses": dict(addresses),
        **options,
    }
    return load_config(write_config(directory, clusters, settings))


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")


def now_query(clusters: tuple[str, ...] | None = None) -> ProcessQuery:
    at = time.time()
    return ProcessQuery(start=at - 600, end=at, clusters=clusters)


def poll_until(
    source: SupervisorProcesses, done: Callable[[Sequence[ProcessState]], bool], timeout: float = 30.0
) -> tuple[ProcessQuery, Sequence[ProcessState]]:
    """Poll at fresh evaluation times until ``done(states)``; fail with the last states at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        query = now_query()
        states = source.states(query)
        if done(states):
            return query, states
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout:g}s: {states}")
        time.sleep(0.1)


def by_name(states: Sequence[ProcessState], host: str) -> dict[str, ProcessState]:
    return {s.name: s for s in states if s.host == host}


def statename(states: Sequence[ProcessState], host: str, name: str) -> str | None:
    found = by_name(states, host).get(name)
    return found.statename if found is not None else None


def test_states_carry_every_field_supervisor_reports(
    tmp_path: Path, fleet: dict[str, Supervisord], password: None
) -> None:
    config = supervisor_config(tmp_path, {"alpha": ALPHA}, {h: fleet[h].address for h in ALPHA})
    source = supervisor_processes(config, None)

    _query, states = poll_until(source, lambda s: len(by_name(s, "a-dn1")) == 4)

    assert {(s.cluster, s.host) for s in states} == {("alpha", "a-dn1"), ("alpha", "a-zk1")}
    dn1 = by_name(states, "a-dn1")
    running = dn1["hdfs-datanode"]
    direct = fleet["a-dn1"].info("hdfs-datanode")
    assert (running.statename, running.state, running.group) == ("RUNNING", 20, "hdfs-datanode")
    assert running.pid == direct["pid"] > 0
    assert running.start == direct["start"] > 0
    assert running.stop == 0
    assert running.time >= running.start  # Supervisor's "now", on the host's clock
    assert running.description.startswith(f"pid {running.pid}, uptime ")
    assert running.spawnerr == ""

    fatal = dn1["yarn-nodemanager"]
    assert (fatal.statename, fatal.state, fatal.pid) == ("FATAL", 200, 0)
    assert fatal.spawnerr == FATAL_REASON

    exited = dn1["hbase-regionserver"]
    assert (exited.statename, exited.state, exited.exitstatus, exited.pid) == ("EXITED", 100, 3, 0)
    assert exited.stop >= exited.start > 0
    assert exited.spawnerr == "Bad exit code 3"


def test_backoff_is_seen_while_supervisor_retries(
    tmp_path: Path, fleet: dict[str, Supervisord], password: None
) -> None:
    config = supervisor_config(tmp_path, {"alpha": ALPHA}, {h: fleet[h].address for h in ALPHA})
    source = supervisor_processes(config, None)

    _query, states = poll_until(source, lambda s: statename(s, "a-zk1", "kafka-broker") == "BACKOFF")

    backoff = by_name(states, "a-zk1")["kafka-broker"]
    assert (backoff.state, backoff.pid, backoff.spawnerr) == (30, 0, FATAL_REASON)
    assert by_name(states, "a-zk1")["zookeeper-server"].running


def test_wrong_credentials_are_an_unreachable_host_with_the_reason(
    tmp_path: Path, fleet: dict[str, Supervisord], password: None
) -> None:
    clusters = {"alpha": ALPHA, "beta": {"b-locked": ["hdfs/journalnode"]}}
    config = supervisor_config(tmp_path, clusters, {h: fleet[h].address for h in fleet})
    source = supervisor_processes(config, None)
    query = now_query()

    assert list(source.unreachable(query)) == [("beta", "b-locked", "401 Unauthorized: check username/password_env")]
    assert {s.host for s in source.states(query)} == {"a-dn1", "a-zk1"}


def test_a_hung_host_times_out_and_the_rest_are_answered(
    tmp_path: Path, fleet: dict[str, Supervisord], hung: str, password: None
) -> None:
    clusters = {"alpha": ALPHA, "beta": {"b-hung": ["hdfs/namenode"]}}
    addresses = {"a-dn1": fleet["a-dn1"].address, "a-zk1": fleet["a-zk1"].address, "b-hung": hung}
    source = supervisor_processes(supervisor_config(tmp_path, clusters, addresses, timeout="0.5s"), None)
    query = now_query()

    assert list(source.unreachable(query)) == [("beta", "b-hung", "timed out after 0.5s")]
    assert {s.host for s in source.states(query)} == {"a-dn1", "a-zk1"}


def test_answers_that_are_not_supervisor_are_reasons_not_crashes(
    tmp_path: Path, odd_servers: dict[str, str], password: None
) -> None:
    with Supervisord(tmp_path / "b-norpc", [Program("hdfs-namenode", "sleep 3600")], rpcinterface=False) as norpc:
        addresses = {**odd_servers, "b-norpc": norpc.address}
        clusters = {"beta": {host: ["hdfs/namenode"] for host in addresses}}
        source = supervisor_processes(supervisor_config(tmp_path / "config", clusters, addresses), None)
        reasons = {host: reason for _cluster, host, reason in source.unreachable(now_query())}

    assert reasons["b-text"].startswith("not an XML-RPC answer: ")
    assert (
        reasons["b-shape"] == "unexpected answer to supervisor.getAllProcessInfo: expected a list of processes, got str"
    )
    assert (
        reasons["b-norpc"] == "XML-RPC fault 1: UNKNOWN_METHOD; is [rpcinterface:supervisor] in its supervisord.conf?"
    )


def test_a_stopped_supervisord_is_refused_and_seen_remembers_its_processes(
    tmp_path: Path, fleet: dict[str, Supervisord], doomed: Supervisord, password: None
) -> None:
    clusters = {"alpha": {**ALPHA, "a-zk3": ["zookeeper/server"]}}
    addresses = {"a-dn1": fleet["a-dn1"].address, "a-zk1": fleet["a-zk1"].address, "a-zk3": doomed.address}
    source = supervisor_processes(supervisor_config(tmp_path, clusters, addresses), None)
    first = now_query()
    assert ("alpha", "a-zk3", "zookeeper-server") in source.seen(first)
    assert list(source.unreachable(first)) == []

    doomed.stop()
    second = ProcessQuery(start=first.end + 1 - 86400, end=first.end + 1)

    assert list(source.unreachable(second)) == [("alpha", "a-zk3", "connection refused")]
    # Its last states stay for the window, so nothing looks healed; what was RUNNING is UNKNOWN now.
    kept = [s for s in source.states(second) if s.host == "a-zk3"]
    assert [(s.name, s.statename) for s in kept] == [("zookeeper-server", "UNKNOWN")]
    assert kept[0].description == "last seen RUNNING; supervisor unreachable: connection refused"
    assert ("alpha", "a-zk3", "zookeeper-server") in source.seen(second)  # remembered from the first poll
    assert ("alpha", "a-dn1", "hdfs-datanode") in source.seen(second)
    later = ProcessQuery(start=first.end + 0.5, end=first.end + 1)  # a period after the last sighting
    assert ("alpha", "a-zk3", "zookeeper-server") not in source.seen(later)
    assert source.seen(ProcessQuery(start=first.end - 86400, end=first.end + 1, clusters=("beta",))) == []


def test_states_seen_and_unreachable_of_one_time_share_one_poll(
    tmp_path: Path, fleet: dict[str, Supervisord], password: None
) -> None:
    clusters = {"alpha": ALPHA, "beta": {"b-locked": ["hdfs/journalnode"]}}
    source = supervisor_processes(supervisor_config(tmp_path, clusters, {h: fleet[h].address for h in fleet}), None)
    at = time.time()
    asks: list[Callable[[], Any]] = []
    for _ in range(4):
        asks += [
            lambda: source.states(ProcessQuery(start=at - 600, end=at)),
            lambda: source.unreachable(ProcessQuery(start=at - 600, end=at)),
            lambda: source.seen(ProcessQuery(start=at - 86400, end=at)),
        ]
    start = threading.Barrier(len(asks))
    answers: list[Any] = [None] * len(asks)

    def ask(index: int) -> None:
        start.wait()
        answers[index] = asks[index]()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(asks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert source.polls == 1
    assert all(answer == answers[i % 3] for i, answer in enumerate(answers))
    assert answers[1] == (("beta", "b-locked", "401 Unauthorized: check username/password_env"),)
    source.states(ProcessQuery(start=at + 1 - 600, end=at + 1))
    assert source.polls == 2


def test_a_time_in_the_past_needs_the_embedded_store(tmp_path: Path, password: None) -> None:
    source = supervisor_processes(supervisor_config(tmp_path, {"alpha": ALPHA}, {}), None)
    an_hour_ago = time.time() - 3600

    with pytest.raises(SourceError, match="past-time evaluation needs the embedded store"):
        source.states(ProcessQuery(start=an_hour_ago - 600, end=an_hour_ago))
    assert source.polls == 0


class SupervisorStates(Monitor):
    """The smallest monitor of Supervisor's view: failed processes and hosts that do not answer."""

    service = "khp"

    def run(self) -> None:
        self.emit("Process not running", critical=self.process_count(["FATAL", "BACKOFF", "EXITED"]) > 0)
        self.emit("Supervisor unreachable", critical=self.unreachable_hosts() > 0)


Brief = tuple[str, "str | None", "str | None", str]  # check, cluster, host, severity


def brief(problems: Sequence[Problem]) -> set[Brief]:
    return {(p.check, p.cluster, p.host, p.severity) for p in problems}


def cycle_until(evaluator: Evaluator, wanted: set[Brief], timeout: float = 30.0) -> list[Problem]:
    """Run cycles until their problems include ``wanted`` (BACKOFF flickers through STARTING)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = evaluator.cycle().problems
        if wanted <= brief(problems) or time.monotonic() > deadline:
            return problems
        time.sleep(0.1)


def test_evaluator_reports_failed_processes_and_unreachable_supervisors(
    tmp_path: Path, fleet: dict[str, Supervisord], store: Store, password: None
) -> None:
    clusters = {"alpha": ALPHA, "beta": {"b-locked": ["hdfs/journalnode"]}}
    config = supervisor_config(tmp_path, clusters, {h: fleet[h].address for h in fleet})
    source = supervisor_processes(config, store)
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), source)
    wanted: set[Brief] = {
        ("Process not running", "alpha", "a-dn1", "critical"),
        ("Process not running", "alpha", "a-zk1", "critical"),
        ("Supervisor unreachable", "beta", "b-locked", "critical"),
    }

    with Evaluator(config, sources, [SupervisorStates]) as evaluator:
        problems = cycle_until(evaluator, wanted)

    assert brief(problems) == wanted
    described = {p.host: p.description for p in problems}
    assert "yarn-nodemanager: Exited too quickly" in described["a-dn1"]
    assert "hbase-regionserver: Bad exit code 3" in described["a-dn1"]
    assert described["b-locked"] == "401 Unauthorized: check username/password_env"


def test_bundled_monitors_see_supervisor(
    tmp_path: Path, fleet: dict[str, Supervisord], doomed: Supervisord, store: Store, password: None
) -> None:
    processes = pytest.importorskip("evaluator.monitors.processes")
    zookeeper = pytest.importorskip("evaluator.monitors.zookeeper")
    clusters = {"alpha": {**ALPHA, "a-zk3": ["zookeeper/server"]}, "beta": {"b-locked": ["hdfs/journalnode"]}}
    addresses = {**{h: fleet[h].address for h in fleet}, "a-zk3": doomed.address}
    config = supervisor_config(tmp_path, clusters, addresses)
    source = supervisor_processes(config, store)
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), source)
    monitors = [processes.ProcessMonitor, zookeeper.ZookeeperMonitor]
    failed: set[Brief] = {
        ("Process FATAL", "alpha", "a-dn1", "warning"),
        ("Process EXITED", "alpha", "a-dn1", "warning"),
        ("Process BACKOFF", "alpha", "a-zk1", "warning"),
        ("Supervisor unreachable", "beta", "b-locked", "warning"),
    }

    with Evaluator(config, sources, monitors) as evaluator:
        before = cycle_until(evaluator, failed)
        polls = source.polls
        evaluator.cycle()
        assert source.polls == polls + 1  # every process query of a cycle shares its one poll
        assert failed <= brief(before)
        assert not {p for p in before if p.check.startswith("ZooKeeper")}, [p.summary() for p in before]

        doomed.stop()
        after = cycle_until(evaluator, {("ZooKeeper quorum at risk", "alpha", None, "critical")})
        past = evaluator.cycle(at=time.time() - 3600)

    assert ("Supervisor unreachable", "alpha", "a-zk3", "warning") in brief(after)
    assert ("ZooKeeper quorum at risk", "alpha", None, "critical") in brief(after)
    assert next(p for p in after if p.host == "a-zk3").description.endswith("(connection refused)")
    assert {p.check for p in past.problems} == {SOURCE_UNAVAILABLE}


@pytest.mark.parametrize(
    ("options", "key", "problem"),
    [
        ({"port": 9001}, "sources.processes.port", "unknown key"),
        ({"password_env": None}, "sources.processes.username", "needs password_env"),
        ({"password_env": "KHP_TEST_UNSET_VARIABLE"}, "sources.processes.password_env", "is not set"),
        ({"url": "ftp://{host}/RPC2"}, "sources.processes.url", "http:// or https://"),
        ({"url": "http://{hostname}:9001/RPC2"}, "sources.processes.url", "only {host}"),
        ({"addresses": {"a-dn1": "127.0.0.1:port"}}, "sources.processes.addresses.a-dn1", "address:port"),
        ({"hosts": {"alpha": "a-dn2"}}, "sources.processes.hosts.alpha", "list of strings"),
        ({"parallel": 0}, "sources.processes.parallel", "whole number"),
        ({"timeout": "soon"}, "sources.processes.timeout", "not a duration"),
    ],
)
def test_options_are_checked_naming_file_and_key(
    tmp_path: Path, password: None, options: dict[str, Any], key: str, problem: str
) -> None:
    settings = {"type": "supervisor", "username": "khp", "password_env": PASSWORD_ENV, **options}
    settings = {name: value for name, value in settings.items() if value is not None}
    path = write_config(tmp_path, {"alpha": ALPHA}, settings)

    with pytest.raises(ConfigError) as raised:
        supervisor_processes(load_config(path), None)

    assert (raised.value.file, raised.value.key) == (str(path), key)
    assert problem in raised.value.problem


def test_hosts_come_from_cluster_files_and_options(tmp_path: Path, password: None) -> None:
    config = supervisor_config(
        tmp_path,
        {"alpha": ALPHA},
        {"a-dn1": "127.0.0.1:19001", "a-edge": "10.1.2.3"},
        url="http://{host}:9001/RPC2",
        hosts={"alpha": ["a-edge"], "gamma": ["g-1"]},
    )
    source = supervisor_processes(config, None)

    assert source.url("a-dn1") == "http://127.0.0.1:19001/RPC2"
    assert source.url("a-zk1") == "http://a-zk1:9001/RPC2"
    assert source.url("a-edge") == "http://10.1.2.3:9001/RPC2"
    assert source.url("g-1") == "http://g-1:9001/RPC2"
    assert host_url("https://{host}.dc1:443/RPC2", "h1") == "https://h1.dc1:443/RPC2"
