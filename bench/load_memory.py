"""Benchmark the peak memory of ``khp load`` for a generated 1,000,000-line metrics file.

Two ways of loading the same file, each in a fresh process so its peak RSS is its own:

* ``streaming``: ``khp load metrics FILE``, as shipped: lines are read and written in batches
  inside one transaction;
* ``whole file``: the way ``khp load`` worked before: ``parse_lines`` reads every record into a
  list, then one write stores them.

Both load every row or none; the script checks that the stores end up with the same count.
Only figures are printed, no pass/fail (the target is at most 150 MiB for streaming)::

    .venv/bin/python bench/load_memory.py
    .venv/bin/python bench/load_memory.py --lines 100000      # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AT = 1795946400

WHOLE_FILE = textwrap.dedent(
    """
    import sys
    from khp.store import Store, parse_lines

    store = Store(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as lines:
        records = parse_lines("metrics", lines, sys.argv[2])
    print(store.write("metrics", records))
    """
)


def generate(path: Path, lines: int) -> None:
    """``lines`` metric rows of 100 clusters x 30 hosts x 20 metrics, a minute apart: like a fleet's export."""
    names = [f"metric_{n:02d}.value" for n in range(20)]
    with path.open("w", encoding="utf-8") as file:
        for i in range(lines):
            cluster, rest = divmod(i % 60_000, 600)
            host, metric = divmod(rest, 20)
            row = {
                "time": AT - 60 * (i // 60_000),
                "cluster": f"cluster-{cluster:03d}",
                "host": f"c{cluster:03d}-worker-{host:02d}.example.com",
                "service": "hdfs",
                "role": "datanode",
                "name": names[metric],
                "value": (i * 7919) % 10_000 / 100,
            }
            file.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the generated file (default 1000000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="khp-bench-load-") as directory:
        work = Path(directory)
        rows = work / "metrics.jsonl"
        began = time.perf_counter()
        generate(rows, args.lines)
        size = rows.stat().st_size / 2**20
        print(f"generated {args.lines:,} lines, {size:.0f} MiB, in {time.perf_counter() - began:.1f}s")
        (work / "khp.yml").write_text("store: streaming.db\nmonitors: []\n")
        khp_load = [sys.executable, "-m", "khp", "--config", str(work / "khp.yml"), "load", "metrics", str(rows)]
        ways = [
            ("whole file (before)", [sys.executable, "-c", WHOLE_FILE, str(work / "whole.db"), str(rows)]),
            ("streaming (khp load)", khp_load),
        ]
        print(f"{'way':24} {'seconds':>8} {'peak RSS':>10}  output")
        for name, command in ways:
            seconds, peak, out = measure_alone(command, work)
            print(f"{name:24} {seconds:8.1f} {peak:7.0f} MiB  {out.rsplit(': ', 1)[-1]}")


def measure_alone(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``command`` and reap it with ``wait4``, whose rusage is that process's alone."""
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True, env=env)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{command[:3]} failed: {err.read()}")
        return seconds, usage.ru_maxrss / 1024, out.read().strip()


if __name__ == "__main__":
    main()
