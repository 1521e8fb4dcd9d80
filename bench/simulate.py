"""Benchmark ``khp simulate``: rows per second of this tree and of an older commit, measured in one run.

Each measurement runs in a fresh subprocess that simulates 20 clusters (3 hours of defaults:
589 hosts, about 16,000 rows a simulated minute) at 1-minute steps into a new store, and
reports rows per second, seconds per simulated hour and peak memory. The older commit
(default d0c9db5, before rows were made in bulk) is taken with ``git archive`` into a
temporary directory and simulates the shorter period; this tree simulates it too, then a
week. Only figures are printed, no pass/fail::

    .venv/bin/python bench/simulate.py                    # old and new for 1 hour, new for a week
    .venv/bin/python bench/simulate.py --hours 6 --week-hours 0
    .venv/bin/python bench/simulate.py --old-commit HEAD~3 --clusters 40
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
END = 1795946400.0  # 2026-11-29T10:00:00Z
HEADER = [
    "code",
    "clusters",
    "hours",
    "how",
    "rows",
    "seconds",
    "rows/s",
    "s per sim. hour",
    "peak RSS MiB (writer / maker)",
    "store MiB",
]


def child(tree: Path, hours: float, clusters: int, parallel: str, store: Path) -> dict[str, Any]:
    """Simulate in this process with the khp of ``tree``; the figures as a dict (peak RSS of this
    process, which writes, and of the second process that makes the rows when there is one)."""
    sys.path.insert(0, str(tree))
    import khp
    from khp.simulator import Fleet, simulate
    from khp.store import Store

    assert Path(khp.__file__).resolve().is_relative_to(tree.resolve()), khp.__file__
    fleet = Fleet(clusters=clusters, seed=1)
    options = {} if parallel == "old" else {"parallel": {"auto": None, "yes": True, "no": False}[parallel]}
    began = time.perf_counter()
    summary = simulate(Store(store), fleet, END - hours * 3600, END, 60.0, **options)
    seconds = time.perf_counter() - began
    writer = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    maker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with sqlite3.connect(store) as conn:  # the write-ahead log into the file: its size, not the log's
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "rows": summary.rows,
        "seconds": seconds,
        "writer_rss_mib": writer,
        "maker_rss_mib": maker,
        "store_mib": sum(p.stat().st_size for p in store.parent.glob(store.name + "*")) / 2**20,
    }


def _measure(tree: Path, hours: float, clusters: int, parallel: str, directory: Path) -> dict[str, Any]:
    store = directory / f"bench-{tree.name}-{hours:g}h-{parallel}.db"
    args = [str(tree), str(hours), str(clusters), parallel, str(store)]
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    for found in store.parent.glob(store.name + "*"):
        found.unlink()
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench child {' '.join(args)} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _old_tree(commit: str, directory: Path) -> Path | None:
    """The khp package (and what it imports) as it was at ``commit``, or None without git or that commit."""
    tree = directory / f"old-{commit.replace('/', '_')}"
    tree.mkdir()
    packages = ["khp", "evaluator", "alert_bridge", "exporter", "kakao_receiver"]
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, *packages], capture_output=True, check=False)
    if archive.returncode != 0:
        print(f"  no old code: git archive {commit}: {archive.stderr.decode().strip()}", file=sys.stderr)
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _row(code: str, clusters: int, hours: float, how: str, found: dict[str, Any]) -> list[str]:
    return [
        code,
        str(clusters),
        f"{hours:g}",
        how,
        f"{found['rows']:,}",
        f"{found['seconds']:.1f}",
        f"{found['rows'] / found['seconds']:,.0f}",
        f"{found['seconds'] / hours:.2f}",
        f"{found['writer_rss_mib']:.0f} / {found['maker_rss_mib']:.0f}"
        if found["maker_rss_mib"]
        else f"{found['writer_rss_mib']:.0f}",
        f"{found['store_mib']:,.0f}",
    ]


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    print(" | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        cells = (cell.rjust(w) if i > 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        print(" | ".join(cells))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=20, help="clusters of the fleet (default 20)")
    parser.add_argument("--hours", type=float, default=1.0, help="period of the old-vs-new comparison (default 1)")
    parser.add_argument("--week-hours", type=float, default=168.0, help="the long run of this tree (0: skip)")
    parser.add_argument("--old-commit", default="d0c9db5", help="the code to compare with (default d0c9db5)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        tree, hours, clusters, parallel, store = args.child
        print(json.dumps(child(Path(tree), float(hours), int(clusters), parallel, Path(store))))
        return 0

    directory = Path(tempfile.mkdtemp(prefix="khp-bench-simulate-"))
    rows: list[list[str]] = []
    try:
        old = _old_tree(args.old_commit, directory) if args.old_commit else None
        plan: list[tuple[str, Path, float, str]] = []
        if old is not None:
            plan.append((f"old {args.old_commit}", old, args.hours, "old"))
        plan += [("this tree", ROOT, args.hours, "no"), ("this tree", ROOT, args.hours, "yes")]
        if args.week_hours:
            plan.append(("this tree", ROOT, args.week_hours, "auto"))
        for code, tree, hours, how in plan:
            label = {"old": "one process", "no": "one process", "yes": "two processes", "auto": "as it chooses"}[how]
            print(f"  {code}: {args.clusters} clusters, {hours:g} h, {label} ...", file=sys.stderr, flush=True)
            rows.append(_row(code, args.clusters, hours, label, _measure(tree, hours, args.clusters, how, directory)))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    _table(rows)
    first, *others = rows
    if first[0].startswith("old"):
        old_rate = float(first[6].replace(",", ""))
        for row in others:
            rate = float(row[6].replace(",", ""))
            print(f"{row[0]}, {row[2]} h, {row[3]}: {rate / old_rate:.1f}x the rows/s of {first[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
