"""Benchmark collecting process states over Supervisor's XML-RPC from 3,000 hosts, 20 ms latency each.

Stand-in hosts: a few loopback XML-RPC servers (stdlib, threaded, each in its own process)
answer ``supervisor.getAllProcessInfo`` for any host after the latency, with ~10 processes a
host shaped like supervisord's. The source's ``addresses`` points the 3,000 host names at them.
Each pool size is measured in a fresh subprocess, so its peak memory is its own; pool size 1
polls a sample of 100 hosts and is extrapolated. Only figures are printed, no pass/fail::

    .venv/bin/python bench/supervisor.py
    .venv/bin/python bench/supervisor.py --hosts 500 --pools 1,64    # a quick run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import socketserver
import subprocess
import sys
import time
import xmlrpc.server
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this directory comes first on sys.path, where this file would hide the
# ``supervisor`` package; the project root takes its place.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)

from khp.sources import ProcessQuery  # noqa: E402
from khp.sources._supervisor import DEFAULT_PARALLEL, SupervisorProcesses  # noqa: E402

SAMPLE = 100  # hosts polled one at a time, extrapolated to all


class _Server(socketserver.ThreadingMixIn, xmlrpc.server.SimpleXMLRPCServer):
    daemon_threads = True
    request_queue_size = 1024  # the default of 5 drops connections when 128 arrive at once


def _processes(count: int) -> list[dict[str, object]]:
    now = int(time.time())
    names = [
        "hdfs-datanode",
        "yarn-nodemanager",
        "hbase-regionserver",
        "zookeeper-server",
        "kafka-broker",
        "kudu-tserver",
        "druid-historical",
        "druid-middlemanager",
        "khp-agent",
        "filebeat-agent",
    ]
    return [
        {
            "name": name,
            "group": name,
            "start": now - 86400,
            "stop": 0,
            "now": now,
            "state": 20,
            "statename": "RUNNING",
            "spawnerr": "",
            "exitstatus": 0,
            "pid": 1000 + i,
            "description": f"pid {1000 + i}, uptime 1 day, 0:00:00",
            "logfile": f"/var/log/{name}.log",
            "stdout_logfile": f"/var/log/{name}.log",
            "stderr_logfile": "",
        }
        for i, name in enumerate((names * (count // len(names) + 1))[:count])
    ]


def _serve(latency: float, processes: int, ports: multiprocessing.Queue) -> None:
    server = _Server(("127.0.0.1", 0), logRequests=False)
    answer = _processes(processes)

    def get_all_process_info() -> list[dict[str, object]]:
        time.sleep(latency)
        return answer

    server.register_function(get_all_process_info, "supervisor.getAllProcessInfo")
    ports.put(server.server_address[1])
    server.serve_forever()


def measure(hosts: int, parallel: int, ports: list[int], processes: int) -> dict[str, float]:
    """Poll ``hosts`` stand-in hosts once with ``parallel`` at a time; seconds and peak RSS."""
    names = [f"h{i:05d}" for i in range(hosts)]
    source = SupervisorProcesses(
        {"bench": names},
        addresses={name: f"127.0.0.1:{ports[i % len(ports)]}" for i, name in enumerate(names)},
        parallel=parallel,
        timeout=30.0,
    )
    at = time.time()
    began = time.perf_counter()
    states = source.states(ProcessQuery(start=at - 600, end=at))
    seconds = time.perf_counter() - began
    unreachable = source.unreachable(ProcessQuery(start=at - 600, end=at))
    if unreachable or len(states) != hosts * processes:
        raise SystemExit(f"incomplete poll: {len(states)} states, unreachable {list(unreachable)[:3]}")
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds each host takes to answer")
    parser.add_argument("--processes", type=int, default=10, help="processes per host")
    parser.add_argument("--servers", type=int, default=4, help="stand-in server processes (ports)")
    parser.add_argument("--pools", default=f"1,16,{DEFAULT_PARALLEL},128", help="pool sizes to compare")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        ports = [int(port) for port in args.ports.split(",")]
        print(json.dumps(measure(args.hosts, args.parallel, ports, args.processes)))
        return

    queue: multiprocessing.Queue = multiprocessing.Queue()
    servers = [
        multiprocessing.Process(target=_serve, args=(args.latency, args.processes, queue), daemon=True)
        for _ in range(args.servers)
    ]
    for server in servers:
        server.start()
    ports = [queue.get(timeout=30) for _ in servers]
    print(
        f"{args.hosts} hosts x {args.processes} processes, {args.latency * 1000:g} ms per answer,"
        f" {args.servers} stand-in servers; default pool {DEFAULT_PARALLEL}"
    )
    print(f"{'pool':>6} {'hosts polled':>13} {'seconds':>8} {'all hosts':>10} {'hosts/s':>8} {'peak RSS':>10}")
    try:
        for parallel in [int(p) for p in args.pools.split(",")]:
            polled = min(SAMPLE, args.hosts) if parallel == 1 else args.hosts
            result = _run(polled, parallel, ports, args.processes)
            total = result["seconds"] * args.hosts / polled
            note = "  (extrapolated)" if polled != args.hosts else ""
            print(
                f"{parallel:>6} {polled:>13} {result['seconds']:>8.2f} {total:>9.2f}s"
                f" {polled / result['seconds']:>8.0f} {result['rss_mb']:>7.1f} MB{note}"
            )
    finally:
        for server in servers:
            server.terminate()


def _run(hosts: int, parallel: int, ports: list[int], processes: int) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--measure",
        "--hosts",
        str(hosts),
        "--parallel",
        str(parallel),
        "--ports",
        ",".join(map(str, ports)),
        "--processes",
        str(processes),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pool {parallel}: {done.stderr.strip() or done.stdout.strip()}")
    return json.loads(done.stdout)


if __name__ == "__main__":
    main()
