"""Benchmark ``khp backtest``: a week of evaluations at 1-minute steps, with a candidate side by side.

Scenarios, each in fresh subprocesses so peak memory belongs to what is measured (the time
to plant the history is measured in its own subprocess and reported apart):

    a   DruidMonitor over a 100-cluster fleet (its 20 Druid clusters report what it reads)
    a0  the same without a candidate (what the candidate side costs)
    b   all bundled monitors for one cluster (hadoop-001, 49 hosts), with a candidate

A week of everything for 100 clusters is ~1.5 billion rows, too much to plant: (a) plants
only what DruidMonitor reads (the four task slot, segment and cache metrics of the Druid
clusters) and (b) everything of one cluster (metrics, RegionServer logs, process states),
both from the simulator at its normal 1-minute rate with its usual random faults. The
candidate is ``druid_slot_used_percent.warning=95`` in (a) and ``host_cpu_percent.warning=95``
in (b). Only figures are printed, no pass/fail::

    .venv/bin/python bench/backtest.py                 # a, a0, b over 7 days
    .venv/bin/python bench/backtest.py --days 1        # a smaller run
    .venv/bin/python bench/backtest.py --scenario a --keep var/bench
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
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evaluator import discover_monitors, select  # noqa: E402
from khp.backtest import run_backtest  # noqa: E402
from khp.configuration import Config, load_config  # noqa: E402
from khp.simulator import Fleet, simulate  # noqa: E402
from khp.store import Store  # noqa: E402

END = 1795946400.0  # 2026-11-29T10:00:00Z
STEP = 60.0
DRUID_PATHS = (  # what DruidMonitor reads
    "druid/overlord/taskSlot.used.count",
    "druid/overlord/taskSlot.total.count",
    "druid/coordinator/segment.unavailable.count",
    "druid/historical/segment.usedPercent",
)
SCENARIOS: dict[str, dict[str, Any]] = {
    "a": {"store": "a", "monitors": ["DruidMonitor"], "set": ["druid_slot_used_percent.warning=95"], "cluster": None},
    "a0": {"store": "a", "monitors": ["DruidMonitor"], "set": [], "cluster": None},
    "b": {"store": "b", "monitors": [], "set": ["host_cpu_percent.warning=95"], "cluster": "hadoop-001"},
}


def bench_config(store: Path) -> Config:
    config = load_config(ROOT / "khp.yml")
    # The example cluster files of configs/clusters name no simulated cluster: leave them out.
    return dataclasses.replace(
        config, clusters=MappingProxyType({}), store=dataclasses.replace(config.store, path=store)
    )


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_plant(which: str, path: Path, days: float) -> dict[str, Any]:
    config = bench_config(path)
    start = END - days * 86400 - config.evaluation.window
    store = Store(path)
    began = time.perf_counter()
    if which == "a":
        fleet = Fleet(clusters=100, seed=1)
        druid = [cluster.name for cluster in fleet.clusters if cluster.kind == "druid"]
        summary = simulate(store, fleet, start, END, STEP, clusters=druid, kinds=("metrics",), metric_paths=DRUID_PATHS)
    else:
        summary = simulate(store, Fleet(clusters=1, seed=1), start, END, STEP)
    store.close()
    return {
        **summary.as_dict(),
        "plant_seconds": time.perf_counter() - began,
        "bytes": path.stat().st_size,
        "peak_rss_mib": _peak_rss_mib(),
    }


def child_run(scenario: str, path: Path, days: float) -> dict[str, Any]:
    spec = SCENARIOS[scenario]
    config = bench_config(path)
    monitors = discover_monitors(config)
    if spec["monitors"]:
        monitors = select(monitors, spec["monitors"])
    clusters = [spec["cluster"]] if spec["cluster"] else None
    began = time.perf_counter()
    report = run_backtest(config, monitors, END - days * 86400, END, STEP, spec["set"], clusters)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "evaluations": report.evaluations,
        "monitors": len(report.monitors),
        "sides": 2 if report.candidate is not None else 1,
        "current": report.current.as_dict(),
        "candidate": report.candidate.as_dict() if report.candidate is not None else None,
        "failed": dict(report.failed),
        "queries_asked": report.queries_asked,
        "queries_run": report.queries_run,
        "peak_rss_mib": _peak_rss_mib(),
    }


def _run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench child {' '.join(args)} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


HEADER = [
    "scenario",
    "monitors",
    "clusters",
    "evaluations",
    "sides",
    "plant s",
    "planted rows",
    "backtest s",
    "ms/eval",
    "peak RSS MiB",
    "queries run/asked",
    "current det/fired/sent",
    "candidate det/fired/sent",
]


def _counts(counts: dict[str, int] | None) -> str:
    if counts is None:
        return "-"
    return f"{counts['detected']}/{counts['fired']}/{counts['notifications_sent']}"


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--days", type=float, default=7.0, help="length of the backtest (default 7)")
    parser.add_argument("--scenario", choices=tuple(SCENARIOS), action="append", help="only these (repeatable)")
    parser.add_argument("--keep", metavar="DIR", help="keep the planted stores in DIR (reused when present)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "plant":
            out = child_plant(rest[0], Path(rest[1]), float(rest[2]))
        else:
            out = child_run(rest[0], Path(rest[1]), float(rest[2]))
        print(json.dumps(out))
        return 0

    wanted = args.scenario or list(SCENARIOS)
    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="khp-bench-backtest-"))
    directory.mkdir(parents=True, exist_ok=True)
    planted: dict[str, dict[str, Any]] = {}
    rows: list[list[str]] = []
    try:
        for scenario in SCENARIOS:
            if scenario not in wanted:
                continue
            which = SCENARIOS[scenario]["store"]
            path = directory / f"backtest-{which}-{args.days:g}d.db"
            plant_cells = ["(same)", "(same)"]
            if which not in planted:
                if path.exists():
                    planted[which] = {}
                    plant_cells = ["(kept)", "(kept)"]
                else:
                    print(f"  planting {which} ...", file=sys.stderr, flush=True)
                    planted[which] = sim = _run_child("plant", which, str(path), str(args.days))
                    plant_cells = [
                        f"{sim['plant_seconds']:.1f}",
                        f"{sim['metrics'] + sim['logs'] + sim['process_states']:,}",
                    ]
            print(f"  backtest {scenario} ...", file=sys.stderr, flush=True)
            run = _run_child("run", scenario, str(path), str(args.days))
            cluster = SCENARIOS[scenario]["cluster"] or "all (100)"
            rows.append(
                [
                    scenario,
                    ", ".join(SCENARIOS[scenario]["monitors"]) or f"all ({run['monitors']})",
                    cluster,
                    f"{run['evaluations']:,}",
                    str(run["sides"]),
                    *plant_cells,
                    f"{run['seconds']:.1f}",
                    f"{run['seconds'] / run['evaluations'] * 1000:.2f}",
                    f"{run['peak_rss_mib']:.0f}",
                    f"{run['queries_run']:,}/{run['queries_asked']:,}",
                    _counts(run["current"]),
                    _counts(run["candidate"]),
                ]
            )
            if run["failed"]:
                print(f"  {scenario}: monitors failed or timed out: {run['failed']}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    _table(rows)
    print(
        f"\n{args.days:g} days at {STEP:g}s steps ending {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(END))};"
        " a: only what DruidMonitor reads, of the Druid clusters of a 100-cluster fleet; b: everything of hadoop-001;"
        " both simulated at the usual fault rate; candidates: a druid_slot_used_percent.warning=95,"
        " b host_cpu_percent.warning=95"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
