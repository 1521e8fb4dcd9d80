"""The shape of a simulated fleet: clusters of four kinds, their hosts and the programs they run.

Cluster ``n`` is always the same whatever the seed or the fleet size: its kind comes from
``n`` (four in ten are Hadoop, two in ten each Druid, Kudu and Kafka), its size from a
generator keyed on ``n``. Names read like an inventory: ``hadoop-001``, ``druid-002``, with
hosts ``hadoop-001-master1``, ``hadoop-001-dn017``, ``kafka-005-broker03``.

A Hadoop cluster also runs the Hive Metastore and HiveServer2 next to its HA masters, and
Trino: the coordinator on the third master, a worker on every DataNode host. Every host runs
the agents ``khp-agent`` (ships metrics), ``filebeat-shipper`` (ships logs, the kernel's
included) and ``node-exporter`` (host metrics) next to its role programs. With the default 30
hosts per cluster on average, 100 clusters make 3,118 hosts running 18,379 Supervisor
programs, and 1,000 clusters 31,300 hosts and 184,105 programs (a Hadoop worker runs four
roles and three agents). ``hosts_per_cluster=55`` gives 5,441 hosts and 32,066 programs for
100 clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from . import _random

KINDS = ("hadoop", "druid", "kudu", "kafka")
_KIND_CYCLE = ("hadoop", "druid", "hadoop", "kudu", "kafka", "hadoop", "druid", "hadoop", "kudu", "kafka")
AGENTS = ("khp-agent", "filebeat-shipper", "node-exporter")


@dataclass(frozen=True)
class Program:
    """A Supervisor program: its name maps to ``service/role`` by the ``<service>-<role>`` rule."""

    name: str
    jvm: bool = False

    @property
    def service(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def role(self) -> str:
        return self.name.split("-", 1)[1]

    @property
    def agent(self) -> bool:
        return self.name in AGENTS


PROGRAMS = {
    program.name: program
    for program in (
        Program("hdfs-namenode", jvm=True),
        Program("hdfs-journalnode", jvm=True),
        Program("hdfs-datanode", jvm=True),
        Program("yarn-resourcemanager", jvm=True),
        Program("yarn-nodemanager", jvm=True),
        Program("hbase-master", jvm=True),
        Program("hbase-regionserver", jvm=True),
        Program("zookeeper-server", jvm=True),
        Program("druid-overlord", jvm=True),
        Program("druid-coordinator", jvm=True),
        Program("druid-broker", jvm=True),
        Program("druid-historical", jvm=True),
        Program("druid-middlemanager", jvm=True),
        Program("kudu-master"),
        Program("kudu-tserver"),
        Program("kafka-broker", jvm=True),
        Program("hive-metastore", jvm=True),
        Program("hive-hiveserver2", jvm=True),
        Program("trino-coordinator", jvm=True),
        Program("trino-worker", jvm=True),
        *(Program(name) for name in AGENTS),
    )
}


@dataclass(frozen=True)
class Host:
    """One machine of a cluster: what it runs, and stable traits that shape its healthy values."""

    name: str
    index: int
    programs: tuple[str, ...]
    traits: tuple[float, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        """``service/role`` of each role program (agents included), as the inventory sees them."""
        return tuple(f"{PROGRAMS[p].service}/{PROGRAMS[p].role}" for p in self.programs)

    def runs(self, program: str) -> bool:
        return program in self.programs

    @property
    def cores(self) -> float:
        """CPU cores: 16, 32 or 48."""
        return 16.0 * (1 + int(self.traits[5] * 3))


@dataclass(frozen=True)
class Cluster:
    """A cluster: kind, number (the ``001`` of ``hadoop-001``), hosts and ZooKeeper ensemble size."""

    name: str
    kind: str
    number: int
    hosts: tuple[Host, ...]
    zookeepers: int
    phase: float

    def hosts_running(self, program: str) -> tuple[Host, ...]:
        return tuple(host for host in self.hosts if program in host.programs)

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(f"{self.name} has no host {name!r}")

    @property
    def processes(self) -> int:
        return sum(len(host.programs) for host in self.hosts)

    @cached_property
    def datanodes(self) -> int:
        return len(self.hosts_running("hdfs-datanode"))

    @cached_property
    def task_slots(self) -> int:
        """Druid middleManager task slots of the cluster (8 per middleManager)."""
        return 8 * len(self.hosts_running("druid-middlemanager"))

    @cached_property
    def restart_plan(self) -> tuple[tuple[tuple[int, int, int], ...], ...]:
        """Per host and program: (period, phase, key) of its planned restarts, every 20-60 days."""
        plan = []
        for host in self.hosts:
            keys = [_random.mix(_random.TOPOLOGY, self.number, host.index, slot) for slot in range(len(host.programs))]
            plan.append(tuple(((20 + k % 41) * 86400, (k >> 8) % ((20 + k % 41) * 86400), k) for k in keys))
        return tuple(plan)

    @cached_property
    def hdfs_capacity(self) -> float:
        """Configured HDFS capacity in bytes: twelve 8 TB disks per DataNode."""
        return self.datanodes * 12 * 8e12

    @cached_property
    def yarn_memory_mb(self) -> float:
        """YARN memory of the cluster in MB: 256 GiB per NodeManager."""
        return len(self.hosts_running("yarn-nodemanager")) * 262144.0


def build_cluster(number: int, hosts_per_cluster: int = 30) -> Cluster:
    """Cluster ``number`` (1-based) of a fleet whose clusters average ``hosts_per_cluster`` hosts."""
    kind = _KIND_CYCLE[(number - 1) % len(_KIND_CYCLE)]
    name = f"{kind}-{number:03d}"
    draw = _random.rng(_random.TOPOLOGY, number)
    scale = hosts_per_cluster / 30.0
    layout: list[tuple[str, tuple[str, ...]]] = []
    zookeepers = 3
    if kind == "hadoop":
        zookeepers = 5 if draw.random() < 0.4 else 3
        masters: tuple[str, ...] = (
            "hdfs-namenode",
            "hdfs-journalnode",
            "yarn-resourcemanager",
            "hbase-master",
            "zookeeper-server",
            "hive-metastore",
            "hive-hiveserver2",
        )
        third = ("hdfs-journalnode", "zookeeper-server", "trino-coordinator")
        layout += [("master1", masters), ("master2", masters), ("master3", third)]
        layout += [(f"zk{i}", ("zookeeper-server",)) for i in range(4, zookeepers + 1)]
        workers = max(3, round(scale * draw.randint(22, 58)))
        layout += [
            (f"dn{i:03d}", ("hdfs-datanode", "yarn-nodemanager", "hbase-regionserver", "trino-worker"))
            for i in range(1, workers + 1)
        ]
    elif kind == "druid":
        masters = ("druid-overlord", "druid-coordinator", "zookeeper-server")
        layout += [("master1", masters), ("master2", masters), ("zk3", ("zookeeper-server",))]
        brokers = max(1, round(scale * draw.randint(2, 4)))
        layout += [(f"broker{i:02d}", ("druid-broker",)) for i in range(1, brokers + 1)]
        data = max(2, round(scale * draw.randint(10, 32)))
        layout += [(f"data{i:03d}", ("druid-historical", "druid-middlemanager")) for i in range(1, data + 1)]
    elif kind == "kudu":
        zookeepers = 0
        layout += [(f"master{i}", ("kudu-master",)) for i in range(1, 4)]
        tservers = max(3, round(scale * draw.randint(8, 32)))
        layout += [(f"tserver{i:03d}", ("kudu-tserver",)) for i in range(1, tservers + 1)]
    else:
        zookeepers = 5 if draw.random() < 0.3 else 3
        layout += [(f"zk{i}", ("zookeeper-server",)) for i in range(1, zookeepers + 1)]
        brokers = max(3, round(scale * draw.randint(6, 24)))
        layout += [(f"broker{i:02d}", ("kafka-broker",)) for i in range(1, brokers + 1)]
    hosts = tuple(
        Host(
            name=f"{name}-{suffix}",
            index=index,
            programs=(*programs, *AGENTS),
            traits=tuple(_random.unit(_random.TOPOLOGY, number, index, trait) for trait in range(6)),
        )
        for index, (suffix, programs) in enumerate(layout)
    )
    return Cluster(name=name, kind=kind, number=number, hosts=hosts, zookeepers=zookeepers, phase=draw.random())
