"""Side by side with Prometheus: the same 70 alerting rules over the same fleet, in one run.

The fleet: C clusters x 30 hosts x 20 metrics, 1% of the values over threshold, and a warning
threshold per cluster for each of 70 keys. The rules: a third compare host values with their
cluster's threshold, a third a cluster maximum, a third the ratio of two cluster maxima x 100.
One generator (one seed, one draw order) writes both sides, so both find the same alerts:

* Prometheus (Debian's ``prometheus``): an exposition page served on loopback and scraped,
  ``rules.yml`` with the rules in PromQL (``last_over_time(...[10m])``, ``on(cluster)``
  joins); the figure is the rule group's ``evaluationTime`` from ``/api/v1/rules``;
* khp: the same values as one point a minute for 10 minutes in the embedded store (written
  through ``Store.write_metrics``), ``khp.yml``, one cluster file per cluster and
  ``monitors/anchor.py`` with the rules in the DSL; the figures are the cycle time that
  ``khp check`` reports and the wall time of the whole ``khp check --json`` process.

Rounds are interleaved: after each Prometheus evaluation, one ``khp check``, so both sides
see the same load on a shared machine; medians are printed. Also measured in the same run:
loading the configuration against a bare libyaml parse (``yaml.load(..., CSafeLoader)``) of
the same files, ``khp --help``, and the peak RSS of ``khp check``::

    .venv/bin/python bench/prometheus_side_by_side.py                  # 100 and 1,000 clusters
    .venv/bin/python bench/prometheus_side_by_side.py --clusters 100 --rounds 3
    .venv/bin/python bench/prometheus_side_by_side.py --keep /tmp/anchor   # reuse the fleets

Without a ``prometheus`` binary the Prometheus side is skipped with a message. A fleet of
1,000 clusters takes about a minute to write and Prometheus a few minutes to warm up.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from khp.configuration import load_config  # noqa: E402
from khp.records import MetricRow  # noqa: E402
from khp.store import Store  # noqa: E402

T = 1795953600  # the evaluation time of khp check: 2026-11-29T12:00:00Z
HOSTS, METRICS, RULES, SAMPLES = 30, 20, 70, 10
KHP = ROOT / ".venv" / "bin" / "khp"


# -- the fleet ---------------------------------------------------------------------------------


@dataclass
class Fleet:
    """The values both sides see: ``values[metric][cluster][host]`` and ``warning[rule][cluster]``."""

    clusters: int
    values: list[list[list[float]]] = field(default_factory=list)
    warning: list[list[float]] = field(default_factory=list)
    critical: list[list[float]] = field(default_factory=list)


def generate(clusters: int) -> Fleet:
    """Draw the fleet: seed 1, every value then every threshold, in the anchor's order."""
    rng = random.Random(1)
    fleet = Fleet(clusters)
    for _metric in range(METRICS):
        fleet.values.append(
            [
                [round(rng.uniform(80, 100) if rng.random() < 0.01 else rng.uniform(0, 70), 3) for _h in range(HOSTS)]
                for _c in range(clusters)
            ]
        )
    for _rule in range(RULES):
        warning, critical = [], []
        for _c in range(clusters):
            warning.append(round(80 + rng.uniform(-5, 5), 1))
            critical.append(round(95 + rng.uniform(-5, 5), 1))
        fleet.warning.append(warning)
        fleet.critical.append(critical)
    return fleet


def _labels(metric: int) -> tuple[str, str, str]:
    """(service, role, name) of a metric."""
    return f"svc{metric % 5}", f"r{metric % 3}", f"m{metric}"


def _operands(rule: int) -> tuple[int, int, int]:
    """(kind, metric a, metric b): kind 0 host vs threshold, 1 cluster max, 2 ratio of maxima x 100."""
    return rule % 3, rule % METRICS, (rule * 7 + 3) % METRICS


def write_prometheus_side(fleet: Fleet, directory: Path, interval: int) -> None:
    """``metrics`` (the exposition page), ``rules.yml`` and ``prometheus.yml`` (target and port filled in later)."""
    lines = []
    for metric, per_cluster in enumerate(fleet.values):
        service, role, name = _labels(metric)
        lines.append(f"# TYPE khp_{name} gauge")
        for c, hosts in enumerate(per_cluster):
            for h, value in enumerate(hosts):
                labels = f'cluster="c{c}",host="c{c}-h{h}",service="{service}",role="{role}"'
                lines.append(f"khp_{name}{{{labels}}} {value:.3f}")
    lines.append("# TYPE khp_threshold gauge")
    for rule in range(RULES):
        for c in range(fleet.clusters):
            for level, values in (("warning", fleet.warning), ("critical", fleet.critical)):
                lines.append(f'khp_threshold{{key="k{rule}",level="{level}",cluster="c{c}"}} {values[rule][c]:.1f}')
    (directory / "metrics").write_text("\n".join(lines) + "\n")
    rules = []
    for rule in range(RULES):
        kind, a, b = _operands(rule)
        threshold = f'on(cluster) khp_threshold{{key="k{rule}",level="warning"}}'
        latest_a = f"last_over_time(khp_m{a}[10m])"
        if kind == 0:
            expr = f"{latest_a} > {threshold.replace('on(cluster)', 'on(cluster) group_left')}"
        elif kind == 1:
            expr = f"max by (cluster)({latest_a}) > {threshold}"
        else:
            expr = f"max by (cluster)({latest_a}) / max by (cluster)(last_over_time(khp_m{b}[10m])) * 100 > {threshold}"
        rules.append({"alert": f"Rule{rule}", "expr": expr, "for": "5m", "labels": {"severity": "warning"}})
    groups = {"groups": [{"name": "khp", "interval": f"{interval}s", "rules": rules}]}
    (directory / "rules.yml").write_text(yaml.safe_dump(groups))


def write_khp_side(fleet: Fleet, directory: Path) -> int:
    """The store (through ``Store.write_metrics``), ``khp.yml``, the cluster files and the monitor; returns rows."""
    (directory / "clusters").mkdir(parents=True, exist_ok=True)
    (directory / "monitors").mkdir(exist_ok=True)
    store = Store(directory / "khp.db")
    rows: list[MetricRow] = []
    written = 0
    for metric, per_cluster in enumerate(fleet.values):
        service, role, name = _labels(metric)
        for c, hosts in enumerate(per_cluster):
            for h, value in enumerate(hosts):
                for s in range(SAMPLES):
                    rows.append(MetricRow(T - 60 * s - 30, f"c{c}", f"c{c}-h{h}", service, role, name, value))
            if len(rows) >= 200_000:
                written += store.write_metrics(rows)
                rows = []
    written += store.write_metrics(rows)
    store.close()
    for c in range(fleet.clusters):
        body = "".join(f"  k{rule}: {{warning: {fleet.warning[rule][c]}}}\n" for rule in range(RULES))
        (directory / "clusters" / f"c{c}.yml").write_text("thresholds:\n" + body)
    (directory / "khp.yml").write_text(
        "sources: {metrics: {type: embedded}, logs: {type: embedded}, processes: {type: embedded}}\n"
        "store: khp.db\nmonitors: [monitors]\nclusters_dir: clusters\nthresholds:\n"
        + "".join(f"  k{rule}: {{warning: 80, critical: null}}\n" for rule in range(RULES))
    )
    lines = [
        "from evaluator import Monitor",
        "",
        "",
        "class AnchorMonitor(Monitor):",
        '    """The 70 rules of the Prometheus side, in the DSL."""',
        "",
        "    def run(self):",
    ]
    for rule in range(RULES):
        kind, a, b = _operands(rule)
        path_a, path_b = "/".join(_labels(a)), "/".join(_labels(b))
        if kind == 0:
            expression = f'self.all("{path_a}")'
        elif kind == 1:
            expression = f'self.max("{path_a}")'
        else:
            expression = f'self.max("{path_a}") / self.max("{path_b}") * 100'
        lines.append(f'        self.emit("Rule{rule}", warning={expression} > self.w("k{rule}"))')
    (directory / "monitors" / "anchor.py").write_text("\n".join(lines) + "\n")
    return written


def prepare(base: Path, clusters: int, interval: int) -> Path:
    """The fleet's directory under ``base``, generated unless a complete one is there already."""
    directory = base / f"anchor-{clusters}"
    done = directory / ".complete"
    if done.exists():
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    started = time.perf_counter()
    fleet = generate(clusters)
    write_prometheus_side(fleet, directory, interval)
    rows = write_khp_side(fleet, directory)
    done.touch()
    print(f"  wrote {clusters} clusters ({rows:,} metric rows) in {time.perf_counter() - started:.0f}s", flush=True)
    return directory


# -- Prometheus --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Page(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


class Prometheus:
    """Debian's Prometheus scraping the fleet's page on loopback and evaluating the rule group."""

    def __init__(self, directory: Path, interval: int) -> None:
        self.directory = directory
        self.interval = interval
        handler = type("Page", (_Page,), {"body": (directory / "metrics").read_bytes()})
        self.page = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.page.serve_forever, daemon=True).start()
        self.port = _free_port()
        work = Path(tempfile.mkdtemp(prefix="prometheus-", dir=directory))
        config = {
            "global": {
                "scrape_interval": f"{interval}s",
                "scrape_timeout": f"{max(10, interval - 5)}s",
                "evaluation_interval": f"{interval}s",
            },
            "rule_files": [str(directory / "rules.yml")],
            "scrape_configs": [
                {"job_name": "fleet", "static_configs": [{"targets": [f"127.0.0.1:{self.page.server_port}"]}]}
            ],
        }
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = open(work / "prometheus.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.work = work

    def group(self) -> dict[str, Any] | None:
        """The rule group as ``/api/v1/rules`` shows it (None until Prometheus answers)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/rules", timeout=30) as answer:
                groups = json.load(answer)["data"]["groups"]
        except (OSError, ValueError, KeyError):
            return None
        return groups[0] if groups else None

    def next_evaluation(self, after: str, deadline: float) -> dict[str, Any]:
        """The group once its ``lastEvaluation`` differs from ``after``."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"prometheus exited; see {self.work / 'prometheus.log'}")
            group = self.group()
            if group is not None and group.get("lastEvaluation", after) != after:
                return group
            time.sleep(0.5)
        raise SystemExit(f"prometheus did not evaluate the rules in time; see {self.work / 'prometheus.log'}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.page.shutdown()
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)


def alerts_of(group: dict[str, Any]) -> int:
    return sum(len(rule.get("alerts", [])) for rule in group["rules"])


# -- khp -----------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cycle: float
    problems: int
    peak_rss_mib: float


_SUMMARY = re.compile(r"^(\d+) problems .* in ([0-9.]+)s;", re.MULTILINE)


# Starts the command in a small process of its own, so that its peak RSS is its own: a child forked
# from this process (which holds the fleet) would count this process's pages until its exec.
_MEASURED = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.perf_counter() - started} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def khp_check(directory: Path) -> Run:
    """One whole ``khp check --json`` process: its wall time, the cycle it reports, its peak RSS."""
    command = [str(KHP), "check", "--config", str(directory / "khp.yml"), "--at", str(T), "--json"]
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures"
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED, str(figures), *command], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"khp check failed: {done.stderr}")
        seconds, peak_kib = figures.read_text().split()
    problems = json.loads(done.stdout)
    found = _SUMMARY.search(done.stderr)
    if found is None or int(found.group(1)) != len(problems):
        raise SystemExit(f"khp check printed no summary matching its output: {done.stderr}")
    return Run(float(seconds), float(found.group(2)), len(problems), int(peak_kib) / 1024)  # KiB on Linux


def khp_help() -> float:
    started = time.perf_counter()
    subprocess.run([str(KHP), "--help"], capture_output=True, check=True)
    return time.perf_counter() - started


def config_load(directory: Path, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds of a bare libyaml parse of the files, of ``load_config``, and of it with the bundled monitors.

    Alternated round by round, in this process. The third figure loads a copy of ``khp.yml``
    that also lists the bundled monitors, so reading their threshold declarations is counted.
    """
    files = [directory / "khp.yml", *sorted(Path(p) for p in glob.glob(str(directory / "clusters" / "*.yml")))]
    with_bundled = directory / "khp-bundled.yml"
    with_bundled.write_text((directory / "khp.yml").read_text().replace("[monitors]", "[bundled, monitors]"))

    def bare() -> None:
        for file in files:
            yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)

    times: list[list[float]] = [[], [], []]
    steps: list[Callable[[], Any]] = [
        bare,
        lambda: load_config(directory / "khp.yml"),
        lambda: load_config(with_bundled),
    ]
    for _ in range(rounds):
        for index, step in enumerate(steps):
            started = time.perf_counter()
            step()
            times[index].append(time.perf_counter() - started)
    return times[0], times[1], times[2]


def cycle_scaling(directory: Path, rounds: int) -> dict[str, list[float]]:
    """Wall and CPU seconds of ``rounds`` cycles in a fresh process (after one to warm up), at ``T``."""
    done = subprocess.run(
        [sys.executable, __file__, "--cycles-of", str(directory), str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"cycle child failed: {done.stderr}")
    figures: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _cycles_child(directory: Path, rounds: int) -> None:
    from khp._common import runtime

    rt = runtime(load_config(directory / "khp.yml"))
    wall, cpu = [], []
    with rt.evaluator() as evaluator:
        evaluator.cycle(at=T)
        for _ in range(rounds):
            started, used = time.perf_counter(), time.process_time()  # the query threads' CPU counts too
            evaluator.cycle(at=T)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
    print(json.dumps({"wall": wall, "cpu": cpu}))


# -- the report ----------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _span(values: Sequence[float]) -> str:
    if not values:
        return "-"
    return f"{_median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def measure(base: Path, clusters: int, rounds: int, with_prometheus: bool) -> dict[str, Any]:
    interval = 15 if clusters <= 100 else 60  # a 1,000-cluster page is a 70 MB scrape
    print(f"\n== {clusters} clusters", flush=True)
    directory = prepare(base, clusters, interval)
    khp_check(directory)  # warm the page cache and the .pyc files
    prometheus_times: list[float] = []
    prometheus_alerts: list[int] = []
    runs: list[Run] = []
    if with_prometheus:
        prometheus = Prometheus(directory, interval)
        try:
            deadline = time.monotonic() + 10 * interval + 600
            last, alerts = "", -1
            while True:  # warm-up: until two evaluations in a row find the same, non-zero, alerts
                group = prometheus.next_evaluation(last, deadline)
                last = group["lastEvaluation"]
                found = alerts_of(group)
                print(f"  prometheus warming up: {found} alerts in {group['evaluationTime']:.2f}s", flush=True)
                if found and found == alerts:
                    break
                alerts = found
            for round_ in range(rounds):
                group = prometheus.next_evaluation(last, time.monotonic() + 3 * interval + 120)
                last = group["lastEvaluation"]
                prometheus_times.append(group["evaluationTime"])
                prometheus_alerts.append(alerts_of(group))
                runs.append(khp_check(directory))  # right after the evaluation, before the next one
                print(
                    f"  round {round_ + 1}: prometheus {prometheus_times[-1]:.2f}s ({prometheus_alerts[-1]} alerts),"
                    f" khp cycle {runs[-1].cycle:.2f}s, khp check {runs[-1].seconds:.2f}s ({runs[-1].problems})",
                    flush=True,
                )
        finally:
            prometheus.stop()
    else:
        for _ in range(rounds):
            runs.append(khp_check(directory))
    bare, loaded, bundled = config_load(directory, rounds)
    return {
        "clusters": clusters,
        "prometheus": prometheus_times,
        "prometheus_alerts": sorted(set(prometheus_alerts)),
        "cycle": [r.cycle for r in runs],
        "check": [r.seconds for r in runs],
        "problems": sorted({r.problems for r in runs}),
        "peak_rss_mib": max(r.peak_rss_mib for r in runs),
        "bare_yaml": bare,
        "load_config": loaded,
        "load_config_bundled": bundled,
    }


def report(results: list[dict[str, Any]], help_times: list[float]) -> None:
    print(
        "\n| fleet | Prometheus rule group | khp cycle | khp check, whole process | cycle / Prometheus |"
        " check / Prometheus | alerts (Prometheus, khp) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        prom = _median(r["prometheus"])
        cycle, check = _median(r["cycle"]), _median(r["check"])
        ratio = f"{cycle / prom:.2f}x" if r["prometheus"] else "-"
        whole = f"{check / prom:.2f}x" if r["prometheus"] else "-"
        alerts = f"{', '.join(map(str, r['prometheus_alerts'])) or '-'}; {', '.join(map(str, r['problems']))}"
        print(
            f"| {r['clusters']:,} clusters | {_span(r['prometheus'])} | {_span(r['cycle'])} | {_span(r['check'])} |"
            f" {ratio} | {whole} | {alerts} |"
        )
    print(
        "\n| fleet | bare libyaml parse | load_config | ratio | with the bundled monitors | ratio"
        " | khp check peak RSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        bare, loaded, bundled = _median(r["bare_yaml"]), _median(r["load_config"]), _median(r["load_config_bundled"])
        print(
            f"| {r['clusters']:,} clusters | {bare:.3f} s | {loaded:.3f} s | {loaded / bare:.2f}x | {bundled:.3f} s |"
            f" {bundled / bare:.2f}x | {r['peak_rss_mib']:.0f} MiB |"
        )
    print("\n| fleet | cycle, wall | cycle, CPU (all threads) |")
    print("| --- | --- | --- |")
    for r in results:
        print(f"| {r['clusters']:,} clusters | {_span(r['scaling']['wall'])} | {_span(r['scaling']['cpu'])} |")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        factor = large["clusters"] / small["clusters"]
        for what in ("wall", "cpu"):
            growth = _median(large["scaling"][what]) / _median(small["scaling"][what])
            print(
                f"cycle {what} at {large['clusters']:,} / at {small['clusters']:,} clusters: {growth:.1f}x"
                f" for {factor:.0f}x the fleet"
            )
    print(f"khp --help: {_median(help_times):.3f} s (median of {len(help_times)})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, action="append", help="fleet sizes (default: 100 and 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="evaluations measured per side and size (default 5)")
    parser.add_argument("--keep", metavar="DIR", help="write the fleets into DIR and reuse them on the next run")
    parser.add_argument("--cycles-of", nargs=2, metavar=("DIR", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cycles_of:
        _cycles_child(Path(args.cycles_of[0]), int(args.cycles_of[1]))
        return 0
    if not KHP.exists():
        raise SystemExit(f"{KHP} is missing: run scripts/setup first")
    with_prometheus = shutil.which("prometheus") is not None
    if not with_prometheus:
        print("prometheus is not installed (Debian package 'prometheus'): measuring khp alone, no ratios")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="khp-anchor-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"fleets in {base}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    try:
        results = [measure(base, clusters, args.rounds, with_prometheus) for clusters in args.clusters or [100, 1000]]
        print("\n== the cycle alone, each fleet in a process of its own, the fleets alternated", flush=True)
        scaling: dict[int, dict[str, list[float]]] = {r["clusters"]: {"wall": [], "cpu": []} for r in results}
        for _ in range(2):
            for r in results:
                figures = cycle_scaling(base / f"anchor-{r['clusters']}", max(1, args.rounds // 2 + 1))
                for what in ("wall", "cpu"):
                    scaling[r["clusters"]][what] += figures[what]
        for r in results:
            r["scaling"] = scaling[r["clusters"]]
        help_times = [khp_help() for _ in range(5)]
        report(results, help_times)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
