"""Benchmark one evaluation cycle of the bundled checks over a simulated fleet on the embedded store.

Scenarios, each measured in fresh subprocesses so peak memory belongs to what is measured:

    a  100 clusters (~3,100 hosts): simulate the 10-minute window, then one cycle
    b  1,000 clusters (~31,000 hosts): the same
    c  the same checks against a source that sleeps 100 ms before every query, with the
       default parallelism (evaluation.parallel_queries / parallel_monitors) and serially

The checks are the bundled monitors' real checks (``evaluator/monitors``), nothing generated,
with their default thresholds; the fleet has the simulator's usual faults, so some checks fire.
Only figures are printed, no pass/fail::

    .venv/bin/python bench/cycle.py              # all three
    .venv/bin/python bench/cycle.py --quick      # small sizes, a smoke run
    .venv/bin/python bench/cycle.py --scenario b
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evaluator import Evaluator, Monitor, describe_checks, discover_monitors  # noqa: E402
from khp.configuration import Config, load_config  # noqa: E402
from khp.records import ProcessState  # noqa: E402
from khp.simulator import Fleet, simulate  # noqa: E402
from khp.sources import LogQuery, MetricQuery, ProcessQuery, Sample, Sources, open_sources  # noqa: E402
from khp.store import Store  # noqa: E402

AT = 1795946400.0  # 2026-11-29T10:00:00Z
SIZES = {"a": 100, "b": 1000, "c": 100}
QUICK_SIZES = {"a": 10, "b": 30, "c": 10}
DELAY = 0.1


def checks_and_config(config: Config) -> tuple[list[type[Monitor]], Config, int]:
    """The bundled monitors, the configuration without example clusters, and how many checks they emit."""
    monitors = discover_monitors(config)
    checks = sum(len(describe_checks(monitor)) for monitor in monitors)
    # The example cluster files of configs/clusters name no simulated cluster: leave them out.
    return monitors, dataclasses.replace(config, clusters=MappingProxyType({})), checks


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
