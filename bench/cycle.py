"""Benchmark one evaluation cycle of 70 checks over a simulated fleet on the embedded store.

Scenarios, each measured in fresh subprocesses so peak memory belongs to what is measured:

    a  100 clusters (~3,100 hosts): simulate the 10-minute window, then one cycle
    b  1,000 clusters (~31,000 hosts): the same
    c  the 70 checks against a source that sleeps 100 ms before every query, with the
       default parallelism (evaluation.parallel_queries / parallel_monitors) and serially

The 70 checks are the bundled monitors' checks plus threshold checks generated at run time
over the simulated jvm.* and other metrics (their thresholds added to the configuration).
Only figures are printed, no pass/fail::

    .venv/bin/python bench/cycle.py              # all three
    .venv/bin/python bench/cycle.py --quick      # small sizes, a smoke run
    .venv/bin/python bench/cycle.py --scenario b
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evaluator import Evaluator, Monitor, discover_monitors  # noqa: E402
from khp.configuration import Config, Threshold, load_config  # noqa: E402
from khp.records import ProcessState  # noqa: E402
from khp.simulator import PROGRAMS, Fleet, simulate  # noqa: E402
from khp.sources import LogQuery, MetricQuery, ProcessQuery, Sample, Sources, open_sources  # noqa: E402
from khp.store import Store  # noqa: E402

AT = 1795946400.0  # 2026-11-29T10:00:00Z
CHECKS = 70
SIZES = {"a": 100, "b": 1000, "c": 100}
QUICK_SIZES = {"a": 10, "b": 30, "c": 10}
DELAY = 0.1


# -- the 70 checks -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GeneratedCheck:
    """A plain threshold check: ``aggregate(path) > w/c(key)`` (or ``<`` when ``below``)."""

    name: str
    path: str
    aggregate: str  # all, max, min, sum, avg
    key: str
    warning: float
    critical: float
    below: bool = False


# name, path, aggregate, threshold key, warning, critical ("<" checks have critical below warning)
_OTHER_CHECKS = [
    ("CPU system time", "host/os/cpu.system", "all", "bench_cpu_system", 30, 50),
    ("CPU user time", "host/os/cpu.user", "all", "bench_cpu_user", 85, 95),
    ("Cluster average CPU", "host/os/cpu.user", "avg", "bench_cluster_cpu", 70, 85),
    ("Cluster memory peak", "host/os/memory.used_percent", "max", "bench_cluster_memory", 95, 99),
    ("Cluster fullest disk", "host/os/disk.free_percent", "min", "bench_cluster_disk", 10, 3),
    ("Kudu tablets per cluster", "kudu/tserver/server.tablets_num_running", "sum", "bench_kudu_tablets", 4e4, 6e4),
    ("Kudu failed tablets per cluster", "kudu/tserver/server.tablets_num_failed", "sum", "bench_kudu_failed", 20, 50),
    ("Historical cache average", "druid/historical/segment.usedPercent", "avg", "bench_druid_cache", 80, 90),
    ("Compactions per cluster", "hbase/regionserver/compactionQueueLength", "sum", "bench_hbase_compactions", 500, 2e3),
    ("ZooKeeper busiest server", "zookeeper/server/outstanding_requests", "max", "bench_zk_outstanding", 50, 500),
    ("Kafka offline anywhere", "kafka/controller/OfflinePartitionsCount", "sum", "bench_kafka_offline", 0, 10),
    ("HDFS used bytes", "hdfs/namenode/CapacityUsed", "max", "bench_hdfs_used", 4e16, 6e16),
]


def _candidates() -> list[GeneratedCheck]:
    """Checks a rule author might add over the simulated metrics; thresholds sit above healthy values."""
    found = []
    for program in PROGRAMS.values():
        if program.jvm:
            role, key = f"{program.service}/{program.role}", f"bench_{program.service}_{program.role}"
            found.append(
                GeneratedCheck(f"JVM heap {role}", f"{role}/jvm.heap_used_percent", "all", f"{key}_heap", 90, 97)
            )
            found.append(GeneratedCheck(f"JVM GC time {role}", f"{role}/jvm.gc_time_ms", "all", f"{key}_gc", 1e4, 3e4))
    for name, path, aggregate, key, warning, critical in _OTHER_CHECKS:
        found.append(GeneratedCheck(name, path, aggregate, key, warning, critical, below=critical < warning))
    return found


def bundled_checks(monitors: Sequence[type[Monitor]]) -> set[str]:
    """The check names the monitors' code passes to ``emit`` as literal strings."""
    names = set()
    for monitor in monitors:
        tree = ast.parse(textwrap.dedent(inspect.getsource(monitor)))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(str(node.args[0].value))
    return names


def _monitor_class(service: str, checks: Sequence[GeneratedCheck]) -> type[Monitor]:
    def run(self: Monitor) -> None:
        for check in checks:
            vector = getattr(self, check.aggregate)(check.path)
            warning, critical = self.w(check.key), self.c(check.key)
            if check.below:
                self.emit(check.name, warning=vector < warning, critical=vector < critical, description=check.name)
            else:
                self.emit(check.name, warning=vector > warning, critical=vector > critical, description=check.name)

    name = f"Generated{service.title()}Checks"
    return type(
        name,
        (Monitor,),
        {
            "run": run,
            "service": service,
            "__module__": __name__,
            "__doc__": f"{len(checks)} generated threshold checks of {service}.",
        },
    )


def checks_and_config(config: Config) -> tuple[list[type[Monitor]], Config, int]:
    """The bundled monitors plus generated ones up to ``CHECKS`` distinct checks, and their thresholds."""
    bundled = discover_monitors(config)
    names = bundled_checks(bundled)
    extra = [c for c in _candidates() if c.name not in names][: max(0, CHECKS - len(names))]
    if len(names) + len(extra) < CHECKS:
        raise SystemExit(f"only {len(names) + len(extra)} checks available, {CHECKS} wanted")
    by_service: dict[str, list[GeneratedCheck]] = {}
    for check in extra:
        by_service.setdefault(check.path.split("/", 1)[0], []).append(check)
    generated = [_monitor_class(service, checks) for service, checks in sorted(by_service.items())]
    thresholds = dict(config.thresholds)
    thresholds.update({c.key: Threshold(c.warning, c.critical) for c in extra})
    # The example cluster files of configs/clusters name no simulated cluster: leave them out.
    config = dataclasses.replace(config, thresholds=MappingProxyType(thresholds), clusters=MappingProxyType({}))
    return [*bundled, *generated], config, len(names) + len(extra)


# -- a slow source -----------------------------------------------------------------------------


class Delayed:
    """Every query sleeps ``delay`` seconds, then asks the wrapped source: a remote Druid or Elasticsearch."""

    def __init__(self, sources: Sources, delay: float) -> None:
        self.inner = sources
        self.delay = delay

    def query(self, query: MetricQuery) -> Sequence[Sample]:
        time.sleep(self.delay)
        return self.inner.metrics.query(query)

    def count(self, query: LogQuery) -> Sequence[Sample]:
        time.sleep(self.delay)
        return self.inner.logs.count(query)

    def raw(self, body: Mapping[str, Any], index: str | None = None) -> Sequence[Sample]:
        time.sleep(self.delay)
        return self.inner.logs.raw(body, index)

    def states(self, query: ProcessQuery) -> Sequence[ProcessState]:
        time.sleep(self.delay)
        return self.inner.processes.states(query)

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        time.sleep(self.delay)
        return self.inner.processes.seen(query)

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        time.sleep(self.delay)
        return self.inner.processes.unreachable(query)

    def sources(self) -> Sources:
        return Sources(metrics=self, logs=self, processes=self)


# -- child processes ---------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_simulate(store_path: Path, clusters: int) -> dict[str, Any]:
    config = load_config(ROOT / "khp.yml")
    fleet = Fleet(clusters=clusters, seed=1)
    store = Store(store_path)
    summary = simulate(store, fleet, AT - config.evaluation.window, AT, step=60.0)
    store.close()
    return {**summary.as_dict(), "peak_rss_mib": _peak_rss_mib(), "bytes": store_path.stat().st_size}


def child_cycle(store_path: Path, delay: float, serial: bool) -> dict[str, Any]:
    monitors, config, checks = checks_and_config(load_config(ROOT / "khp.yml"))
    if serial:
        config = dataclasses.replace(
            config, evaluation=dataclasses.replace(config.evaluation, parallel_queries=1, parallel_monitors=1)
        )
    store = Store(store_path)
    sources = open_sources(config, store=store)
    if delay:
        sources = Delayed(sources, delay).sources()
    before = _rss_mib()
    with Evaluator(config, sources, monitors) as evaluator:
        result = evaluator.cycle(at=AT)
    record = result.record
    return {
        "checks": checks,
        "monitors": len(monitors),
        "seconds": record.seconds,
        "problems": len(result.problems),
        "failed": record.failed,
        "queries": record.queries.executed,
        "requested": record.queries.requested,
        "peak_in_flight": record.queries.peak_in_flight,
        "parallel_queries": config.evaluation.parallel_queries,
        "parallel_monitors": config.evaluation.parallel_monitors,
        "rss_before_mib": before,
        "peak_rss_mib": _peak_rss_mib(),
    }


def _run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench child {' '.join(args)} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report --------------------------------------------------------------------------------


def _simulated(directory: Path, clusters: int) -> tuple[Path, dict[str, Any]]:
    path = directory / f"fleet-{clusters}.db"
    if not path.exists():
        print(f"  simulating {clusters} clusters ...", file=sys.stderr, flush=True)
        return path, _run_child("simulate", str(path), str(clusters))
    return path, {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: 10, 30 and 10 clusters")
    parser.add_argument("--scenario", choices=("a", "b", "c"), action="append", help="run only these (repeatable)")
    parser.add_argument("--keep", metavar="DIR", help="keep the simulated stores in DIR (reused when present)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "simulate":
            out = child_simulate(Path(rest[0]), int(rest[1]))
        else:
            out = child_cycle(Path(rest[0]), float(rest[1]), rest[2] == "serial")
        print(json.dumps(out))
        return 0

    sizes = QUICK_SIZES if args.quick else SIZES
    wanted = args.scenario or ["a", "b", "c"]
    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="khp-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    rows: list[list[str]] = []
    failures: list[str] = []
    try:
        for scenario in ("a", "b", "c"):
            if scenario not in wanted:
                continue
            clusters = sizes[scenario]
            path, sim = _simulated(directory, clusters)
            fleet = Fleet(clusters=clusters, seed=1)
            size = [f"{clusters:,}", f"{fleet.hosts:,}", f"{fleet.processes:,}"]
            simulated = ["(same)"] * 3
            if sim:
                simulated = [f"{sim['seconds']:.1f}", f"{sim['rows_per_second']:,}", f"{sim['peak_rss_mib']:.0f}"]
            runs = [("", 0.0, False)]
            if scenario == "c":
                runs = [(" parallel", DELAY, False), (" serial", DELAY, True)]
            for label, delay, serial in runs:
                print(f"  cycle {scenario}{label} ...", file=sys.stderr, flush=True)
                cyc = _run_child("cycle", str(path), str(delay), "serial" if serial else "parallel")
                pools = f"{cyc['parallel_queries']}/{cyc['parallel_monitors']}"
                rows.append(
                    [
                        f"{scenario}{label}",
                        *size,
                        f"{cyc['checks']} in {cyc['monitors']}",
                        *simulated,
                        f"{cyc['seconds']:.2f}",
                        f"{cyc['peak_rss_mib']:.0f}",
                        pools,
                        f"{cyc['queries']}/{cyc['requested']}",
                        str(cyc["peak_in_flight"]),
                        str(cyc["problems"]),
                    ]
                )
                if cyc["failed"]:
                    failures.append(f"{scenario}{label}: monitors failed or timed out: {', '.join(cyc['failed'])}")
                simulated = ["(same)"] * 3
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    _table(rows)
    for failure in failures:
        print(failure)
    print(
        f"\ndelay in c: {DELAY * 1000:.0f} ms per query; simulated window: 10 minutes at 1-minute steps"
        f"{'; --quick sizes' if args.quick else ''}"
    )
    return 0


HEADER = [
    "scenario",
    "clusters",
    "hosts",
    "processes",
    "checks in monitors",
    "sim s",
    "sim rows/s",
    "sim RSS MiB",
    "cycle s",
    "cycle RSS MiB",
    "pools q/m",
    "queries run/asked",
    "peak in flight",
    "problems",
]


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADER)]
    print(" | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(
            " | ".join(
                cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    sys.exit(main())
