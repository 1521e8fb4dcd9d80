"""One evaluation cycle of threshold checks against the Druid stand-in, parallel and serial.

Generates ``--checks`` monitors (70 by default), each one threshold check on its own metric
path (``all``, ``max``, ``min``, ``sum``, ``avg``, ``count`` in turn), loads rows for them into
the Druid SQL stand-in of ``tests/standins/druid.py``, which waits ``--latency`` seconds
(100 ms by default) on every query, and runs ``Evaluator.cycle`` through the real Druid source:
once with the configured parallelism and once serially (one monitor and one query at a time).
It prints the cycle time, the queries executed and the most queries in flight, and checks that
both runs find the same problems. Run it from the project root::

    .venv/bin/python bench/druid_cycle.py [--checks 70] [--latency 0.1] [--target 2.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.standins when run as a script

from evaluator import CycleResult, Evaluator, Monitor  # noqa: E402
from evaluator.testing import build_config  # noqa: E402
from khp.configuration import Config, EvaluationConfig  # noqa: E402
from khp.records import MetricRow  # noqa: E402
from khp.sources import EmbeddedLogs, EmbeddedProcesses, Sources  # noqa: E402
from khp.sources._druid import DruidMetrics, DruidOptions  # noqa: E402
from khp.store import Store  # noqa: E402
from tests.standins.druid import DruidStandIn  # noqa: E402

AT = 1795946400.0  # 2026-11-29T10:00:00Z
AGGREGATES = ("all", "max", "min", "sum", "avg", "count")
CLUSTERS = ("c01", "c02", "c03", "c04", "c05", "c06")
HOSTS = 5


def check_monitor(index: int) -> type[Monitor]:
    """Monitor ``Check<index>``: one aggregate of its own metric compared with its own thresholds."""
    aggregate = AGGREGATES[index % len(AGGREGATES)]
    path = f"bench/role{index % 7}/metric_{index:03d}"
    key = f"bench_{index:03d}"

    def run(self: Monitor) -> None:
        value = getattr(self, aggregate)(path)
        self.emit(
            f"Check {index:03d}",
            warning=value > self.w(key),
            critical=value > self.c(key),
            description=f"{aggregate}({path}) above threshold",
        )

    return type(f"Check{index:03d}", (Monitor,), {"run": run, "service": "bench", "__module__": __name__})


def rows(checks: int) -> list[MetricRow]:
    """Three points per host and metric in the window; values 0-99 so about a tenth cross 90."""
    found = []
    for index in range(checks):
        for c, cluster in enumerate(CLUSTERS):
            for host in range(HOSTS):
                for ago in (30, 150, 400):
                    value = float((index * 31 + c * 17 + host * 7 + ago) % 100)
                    found.append(
                        MetricRow(
                            AT - ago,
                            cluster,
                            f"{cluster}-h{host}",
                            "bench",
                            f"role{index % 7}",
                            f"metric_{index:03d}",
                            value,
                        )
                    )
    return found


def cycle(druid: DruidStandIn, store: Store, config: Config, monitors: list[type[Monitor]]) -> CycleResult:
    with DruidMetrics(
        DruidOptions(url=f"{druid.url}/druid/v2/sql/", timeout=30), connections=config.evaluation.parallel_queries
    ) as metrics:
        sources = Sources(metrics, EmbeddedLogs(store), EmbeddedProcesses(store))
        with Evaluator(config, sources, monitors) as evaluator:
            return evaluator.cycle(at=AT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--checks", type=int, default=70)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the stand-in waits on each query")
    parser.add_argument("--parallel-monitors", type=int, default=EvaluationConfig.parallel_monitors)
    parser.add_argument("--parallel-queries", type=int, default=EvaluationConfig.parallel_queries)
    parser.add_argument("--target", type=float, default=2.0, help="longest acceptable parallel cycle, seconds")
    args = parser.parse_args()

    monitors = [check_monitor(i) for i in range(args.checks)]
    thresholds = {f"bench_{i:03d}": {"warning": 90.0, "critical": 97.0} for i in range(args.checks)}
    base = build_config(thresholds)
    modes = {
        "parallel": (args.parallel_monitors, args.parallel_queries),
        "serial": (1, 1),
    }
    results: dict[str, CycleResult] = {}
    served: dict[str, int] = {}  # the most queries the stand-in was answering at once
    with DruidStandIn() as druid, tempfile.TemporaryDirectory(prefix="khp-bench-") as directory:
        druid.load(rows(args.checks))
        druid.latency = args.latency
        store = Store(Path(directory) / "khp.db")
        for mode, (monitors_at_once, queries_at_once) in modes.items():
            evaluation = dataclasses.replace(
                base.evaluation, parallel_monitors=monitors_at_once, parallel_queries=queries_at_once
            )
            druid.peak_in_flight = 0
            results[mode] = cycle(druid, store, dataclasses.replace(base, evaluation=evaluation), monitors)
            served[mode] = druid.peak_in_flight
        store.close()

    print(
        f"khp-monitor bench: one cycle of {args.checks} threshold checks against the Druid stand-in, "
        f"{args.latency * 1000:.0f} ms per query"
    )
    print(
        f"{'mode':<9} {'monitors':>8} {'queries':>7} {'cycle s':>8} {'executed':>8} {'peak in flight':>14} "
        f"{'server peak':>11} {'failed':>6} {'problems':>8}"
    )
    for mode, result in results.items():
        record = result.record
        print(
            f"{mode:<9} {modes[mode][0]:>8} {modes[mode][1]:>7} {record.seconds:>8.3f} "
            f"{record.queries.executed:>8} {record.queries.peak_in_flight:>14} {served[mode]:>11} "
            f"{len(record.failed):>6} {len(result.problems):>8}"
        )
    parallel, serial = results["parallel"], results["serial"]
    same = parallel.problems == serial.problems
    speedup = serial.record.seconds / parallel.record.seconds
    met = parallel.record.seconds <= args.target
    print(
        f"speed-up {speedup:.1f}x; same problems in both runs: {'yes' if same else 'NO'}; "
        f"target parallel cycle <= {args.target:g} s: {'met' if met else 'MISSED'}"
    )
    return 0 if same and met and not parallel.record.failed else 1


if __name__ == "__main__":
    sys.exit(main())
