"""Benchmark the exporter at 10,000 active problems from 30 monitors, against a naive alternative.

Two ways to expose the same cycles, each measured in a fresh subprocess so that peak memory
belongs to what is measured:

    collector  exporter.ExporterState + KhpCollector: update() once a cycle, families built per scrape
    naive      prometheus_client Gauge objects with labels: clear() and labels(...).set() for every
               problem each cycle (khp_problem, khp_problem_value, khp_problem_threshold)

For each: the time of one cycle's update, of rendering /metrics in the text format and in
OpenMetrics, of a whole HTTP scrape on loopback as Prometheus asks for it (OpenMetrics, gzip),
the size of the text exposition, and peak RSS (before the exporter, and at the end). Times are
the median of ``--repeat`` runs, each over a cycle with new values. Only figures are printed::

    .venv/bin/python bench/exporter.py
    .venv/bin/python bench/exporter.py --problems 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from prometheus_client import CollectorRegistry, Gauge  # noqa: E402
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest  # noqa: E402

from evaluator import CycleRecord, CycleResult, MonitorRecord, Problem  # noqa: E402
from exporter import ExporterState, KhpCollector, render, serve  # noqa: E402

AT = 1795946400.0  # 2026-11-29T10:00:00Z
MONITORS = 30
CLUSTERS = 100
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
LABELS = ("check", "monitor", "cluster", "host", "severity", "service")


def cycle(problems: int, round_: int) -> CycleResult:
    """``problems`` host-level problems over 100 clusters from 30 monitors (2-3 checks each); values move per round."""
    found = []
    for i in range(problems):
        monitor = i % MONITORS
        cluster = f"cluster-{i % CLUSTERS:03d}"
        found.append(
            Problem(
                check=f"Check {monitor}.{i % 3}",
                monitor=f"Monitor{monitor:02d}",
                cluster=cluster,
                host=f"{cluster}-host-{i // CLUSTERS:04d}",
                severity="critical" if i % 4 == 0 else "warning",
                value=80.0 + (i * 7 + round_) % 200 / 10,
                compare=">",
                threshold=80.0 if i % 4 else 95.0,
                description="bench",
                source="bench.py#L1",
                service=f"service{monitor % 9}",
            )
        )
    record = CycleRecord(at=AT + 60 * round_, started=AT + 60 * round_ + 1, seconds=2.5)
    for m in range(MONITORS):
        name = f"Monitor{m:02d}"
        record.monitors[name] = MonitorRecord(name, "ok", 0.5, problems // MONITORS, 12)
    stats = record.queries
    stats.requested, stats.executed, stats.peak_in_flight = 400, 360, 16
    stats.seconds, stats.counts = (
        {"metrics": 30.0, "logs": 4.0, "processes": 2.0},
        {"metrics": 300, "logs": 40, "processes": 20},
    )
    return CycleResult(found, record)


class Naive:
    """The same problems as plain prometheus_client Gauges with labels, refilled each cycle."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.problem = Gauge("khp_problem", "1 per problem", [*LABELS, "state"], registry=registry)
        self.value = Gauge("khp_problem_value", "The measured value", LABELS, registry=registry)
        self.threshold = Gauge("khp_problem_threshold", "The threshold", LABELS, registry=registry)

    def update(self, result: CycleResult) -> None:
        for gauge in (self.problem, self.value, self.threshold):
            gauge.clear()
        for p in result.problems:
            values = (p.check, p.monitor, p.cluster or "", p.host or "", p.severity, p.service)
            self.problem.labels(*values, "active").set(1)
            if p.value is not None:
                self.value.labels(*values).set(p.value)
            if p.threshold is not None:
                self.threshold.labels(*values).set(p.threshold)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = call()
    return time.perf_counter() - started, out


def scrape(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker(way: str, problems: int, repeat: int) -> dict[str, Any]:
    cycles = [cycle(problems, r) for r in range(repeat)]
    rss_before = peak_rss_mib()
    registry = CollectorRegistry()
    if way == "collector":
        state = ExporterState()
        registry.register(KhpCollector(state))
        update: Callable[[CycleResult], None] = state.update
    else:
        update = Naive(registry).update
    figures: dict[str, list[float]] = {"update": [], "text": [], "openmetrics": [], "scrape": []}
    size = gzipped = 0
    with serve("127.0.0.1:0", registry) as server:
        for result in cycles:
            figures["update"].append(timed(partial(update, result))[0])
            took, text = timed(lambda: render(registry))
            figures["text"].append(took)
            figures["openmetrics"].append(timed(lambda: openmetrics_latest(registry))[0])
            took, body = timed(lambda: scrape(server.url))
            figures["scrape"].append(took)
            size, gzipped = len(text), len(body)
    return {
        "way": way,
        **{name: statistics.median(values) for name, values in figures.items()},
        "bytes": size,
        "gzip_bytes": gzipped,
        "series": sum(1 for line in text.splitlines() if not line.startswith(b"#")),
        "rss_before": rss_before,
        "rss_peak": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--worker", choices=["collector", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.problems, args.repeat)))
        return 0

    print(f"exporter: {args.problems:,} active problems, {MONITORS} monitors, {CLUSTERS} clusters;"
          f" median of {args.repeat} cycles; Python {sys.version.split()[0]}")  # fmt: skip
    rows = []
    for way in ("collector", "naive"):
        done = subprocess.run(
            [sys.executable, __file__, "--worker", way, "--problems", str(args.problems), "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append(json.loads(done.stdout))
    header = (f"{'':10} {'update':>9} {'render text':>12} {'render OM':>10} {'HTTP scrape':>12} {'text size':>10}"
              f" {'gzip size':>10} {'samples':>8} {'RSS before':>11} {'RSS peak':>9}")  # fmt: skip
    print(header)
    for row in rows:
        print(
            f"{row['way']:10} {_ms(row['update']):>9} {_ms(row['text']):>12} {_ms(row['openmetrics']):>10}"
            f" {_ms(row['scrape']):>12} {_mib(row['bytes']):>10} {_mib(row['gzip_bytes']):>10} {row['series']:>8,}"
            f" {row['rss_before']:>8.1f} MiB {row['rss_peak']:>5.1f} MiB"
        )
    collector, naive = rows
    print(f"update + text render: collector {_ms(collector['update'] + collector['text'])},"
          f" naive {_ms(naive['update'] + naive['text'])}")  # fmt: skip
    print("HTTP scrape = what Prometheus pays: OpenMetrics (its preferred format) with gzip, over loopback.")
    return 0


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _mib(size: int) -> str:
    return f"{size / 2**20:.2f} MiB"


if __name__ == "__main__":
    raise SystemExit(main())
