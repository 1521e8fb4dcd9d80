"""Benchmark the alert bridge: 10,000 active problems sent to two real Alertmanagers (an HA pair).

Measured, in one process against Debian's Alertmanager 0.25 on loopback:

    first cycle    10,000 new problems (pending 0): all fire, all are sent to both
    quiet cycle    30 s later: nothing is due (the state machine's own cost)
    steady cycle   every 60 s after: every firing alert is re-sent to both (three times)
    restart        a new bridge loading the 10,000 states from the store file

beside the same steady-state resend done other ways: both Alertmanagers at once as the bridge
does, one after the other, and one request per alert (a sample, extrapolated to 10,000).
Only figures are printed, no pass/fail::

    .venv/bin/python bench/alerts.py              # 10,000 problems
    .venv/bin/python bench/alerts.py --problems 2000 --sample 100
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alert_bridge import AlertBridge, AlertmanagerClient, BridgeReport, Flapping, FlappingSettings  # noqa: E402
from alert_bridge._machine import FIRING, AlertState  # noqa: E402
from alert_bridge._payload import alert  # noqa: E402
from evaluator import CycleRecord, CycleResult, MonitorRecord, Problem  # noqa: E402
from khp.configuration import AlertmanagerConfig, Config, EvaluationConfig, StoreConfig  # noqa: E402
from tests.realparts.alertmanager import WebhookRecorder, running_pair, webhook_config  # noqa: E402

CHECKS = 70
CLUSTERS = 100
RUNS = 3


def problems(count: int) -> list[Problem]:
    return [
        Problem(
            check=f"Check {i % CHECKS}",
            monitor=f"Monitor{i % CHECKS // 10}",
            cluster=f"c{i % CLUSTERS:03}",
            host=f"h{i:05}",
            severity="warning" if i % 3 else "critical",
            value=90.0 + i % 10,
            compare=">",
            threshold=90.0,
            description="Disk usage above threshold on the data directory",
            source=f"https://git.example/khp/blob/main/evaluator/monitors/m{i % CHECKS // 10}.py#L{i % 200}",
            service="hdfs",
            pending=0.0,
        )
        for i in range(count)
    ]


def cycle(at: float, found: list[Problem]) -> CycleResult:
    monitors = {p.monitor: MonitorRecord(p.monitor) for p in found}
    return CycleResult(found, CycleRecord(at=at, started=at, monitors=monitors))


def line(name: str, report: BridgeReport) -> str:
    other = report.seconds - report.send_seconds - report.store_seconds
    sent = "+".join(str(n) for n in report.sent.values()) or "0"
    return (
        f"  {name:14} total {report.seconds:6.3f}s = send {report.send_seconds:6.3f}s + store"
        f" {report.store_seconds:6.3f}s + state machine {other:6.3f}s; alerts sent {sent}, rows written"
        f" {report.written}, errors {report.error_count}"
    )


def alternatives(urls: tuple[str, ...], found: list[Problem], at: float, size: int) -> None:
    """The same steady-state resend (build, encode, POST) done other ways; median of RUNS."""
    clients = [AlertmanagerClient(url, timeout=10.0, retries=0) for url in urls]
    states = [AlertState(p, FIRING, since=at, starts_at=at) for p in found]

    def batches() -> list[bytes]:
        now = time.time()
        bodies = [alert(state, now, 240.0) for state in states]
        return [json.dumps(bodies[i : i + 1000]).encode() for i in range(0, len(bodies), 1000)]

    def concurrent() -> None:
        encoded = batches()
        with ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(lambda client: [client.post(body) for body in encoded], clients))

    def sequential() -> None:
        encoded = batches()
        for client in clients:
            for body in encoded:
                client.post(body)

    def one_by_one() -> None:
        now = time.time()
        sample = [json.dumps([alert(state, now, 240.0)]).encode() for state in states[:size]]
        with ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(lambda client: [client.post(body) for body in sample], clients))

    scale = len(found) / size
    print(f"the same resend of {len(found):,} alerts done other ways (build + encode + send, median of {RUNS}):")
    print(f"  {'as the bridge':22} {median(concurrent):6.3f}s batches of 1,000, both Alertmanagers at once")
    print(f"  {'sequential AMs':22} {median(sequential):6.3f}s batches of 1,000, one Alertmanager after the other")
    each = median(one_by_one)
    print(
        f"  {'one request per alert':22} {each * scale:6.3f}s extrapolated from {size} alerts to each"
        f" Alertmanager at once ({each:.3f}s, {each / size * 1000:.2f} ms per request)"
    )
    for client in clients:
        client.close()


def median(run: Callable[[], None]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return sorted(times)[len(times) // 2]


def flapping_cost(found: list[Problem], at: float) -> None:
    """What flapping detection adds to a cycle of the bridge: its hooks for every key, on and off."""
    state = AlertState(found[0], FIRING, since=at, starts_at=at)
    bodies = [alert(state, at, 240.0) for _ in found]
    print(f"flapping detection's own work per cycle of {len(found):,} alerts (hold, observe, annotate, save):")
    for name, settings in (("on (4 in 1h)", FlappingSettings()), ("off", FlappingSettings(changes=0))):
        flapping = Flapping(settings)
        began = time.perf_counter()
        _flapping_cycle(flapping, found, bodies, "fired", at)  # every alert fires: each gets a change
        firing = time.perf_counter() - began
        steady = median(lambda f=flapping: _flapping_cycle(f, found, bodies, "", at + 60))  # type: ignore[misc]
        print(f"  {name:14} {firing:6.3f}s when all fire, {steady:6.3f}s a steady cycle")


def _flapping_cycle(flapping: Flapping, found: list[Problem], bodies: list[dict], event: str, at: float) -> None:
    flapping.begin()
    for problem, body in zip(found, bodies, strict=True):
        seen = flapping.hold(problem.key, problem, False, at)
        flapping.observe(problem.key, event, seen, at)
        flapping.annotate(problem.key, body)
    flapping.save(at)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500, help="alerts sent one request each, then extrapolated")
    options = parser.parse_args()
    count = options.problems
    found = problems(count)
    with tempfile.TemporaryDirectory(prefix="khp-bench-alerts-") as tmp:
        directory = Path(tmp)
        # production-like timings, so no notification competes with the measurement
        with WebhookRecorder() as hook, running_pair(directory, webhook_config(hook.url, group_wait="30s")) as pair:
            urls = tuple(am.url for am in pair)
            config = Config(
                store=StoreConfig(path=directory / "khp.db"),
                evaluation=EvaluationConfig(interval=60.0, pending=0.0),
                alertmanager=AlertmanagerConfig(urls=urls, timeout=10.0, resend_interval=60.0, retries=3),
            )
            at = time.time()
            print(f"alert bridge: {count:,} problems, 2 Alertmanagers 0.25 (HA pair) on loopback, batches of 1,000")
            with AlertBridge(config) as bridge:
                print(line("first cycle", bridge.process(cycle(at, found))))
                print(line("quiet cycle", bridge.process(cycle(at + 30, found))))
                for n in range(1, RUNS + 1):
                    print(line(f"steady cycle {n}", bridge.process(cycle(at + 60 * n, found))))
            began = time.perf_counter()
            with AlertBridge(config) as bridge:
                loaded = len(bridge.states)
                restart = time.perf_counter() - began
            print(f"  {'restart':14} {restart:6.3f}s to load {loaded:,} states from the store file")
            print(f"  Alertmanager holds {len(pair[0].alerts()):,} alerts")
            alternatives(urls, found, at, options.sample)
    flapping_cost(found, at)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
