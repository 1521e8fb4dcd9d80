"""Benchmark the receiver: webhooks accepted per second, p99 accept latency, messages delivered per second.

Every run serves ``kakao_receiver`` on loopback and loads it with ``wrk`` (``apt-get install
wrk``): each request is a distinct Alertmanager notification (3 critical alerts, 2 KakaoWork
rooms), so every one is composed, rendered and committed. ``--stalled N`` (100 by default)
clients connect beside wrk, send their headers (half of them announcing a body) and stall for
the whole run. Side by side:

    product worker model         gunicorn -c python:kakao_receiver.gunicorn_conf: requests read whole
                                 by the event loop, 2 workers x 4 threads (the product)
    gunicorn -w 2 sync           the previous worker model: 2 sync workers
    gunicorn -w 2 gthread x4     gunicorn's own threaded worker, 4 threads per worker
    flask dev server, outbox     the same app on Werkzeug's threaded development server
    gunicorn -w 2, sync send     the alternative design: the request sends to Kakao before answering

the product and the alternative again with Kakao answering in ~40 ms instead of ~2 ms,
and ``drain``: a backlog of notifications already in the outbox, sent by a fresh gunicorn
(2 workers x ``delivery.workers`` threads) to the Kakao stand-in, which runs in a process of
its own. Each accept run also prints, on Linux, the receiver's CPU time during the load, the
time its threads were runnable but waiting for a CPU (``/proc/*/task/*/schedstat``), and the
machine's idle share. Only figures are printed (targets: >= 500 accepted/s, p99 <= 50 ms)::

    .venv/bin/python bench/receiver.py
    .venv/bin/python bench/receiver.py --duration 5 --connections 32 --backlog 1000
    .venv/bin/python bench/receiver.py --against main --rounds 3   # this checkout against commit main

``--against REF`` runs only the product worker model, this checkout's and that of git commit
REF (checked out in a temporary worktree), alternately, so that a change is compared with what
it changes under the same load of the shared machine.

``--rate R`` loads each accept run with ``R`` webhooks a second instead of ``wrk``'s "as fast as
the answers come" (``bench/fixed_rate.py``, an open loop on the same connections): wrk measures
the latency at the receiver's saturation, this the latency at a given rate, counted from when
each webhook was due, so that a stall's wait is counted too::

    .venv/bin/python bench/receiver.py --against main --rate 500
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import fixed_rate  # noqa: E402
from kakao_receiver import parse_webhook  # noqa: E402
from kakao_receiver._outbox import Outbox  # noqa: E402
from khp.configuration import load_config  # noqa: E402
from tests.standins.kakao import KakaoStandIn, _Handler  # noqa: E402

TOKEN = "bench-receiver-token"
ROOMS = ("kakaowork:12345", "kakaowork:67890")
GUNICORN = Path(sys.executable).parent / "gunicorn"

SYNC_APP = '''
"""The alternative: the same app, but each request delivers before it answers (no threads)."""
from kakao_receiver import create_app

app = create_app(start_workers=False)
_receiver = app.extensions["khp_receiver"]
_accept = app.view_functions["alertmanager"]


def _accept_and_send():
    answer = _accept()
    while _receiver.courier.deliver_one():
        pass
    return answer


app.view_functions["alertmanager"] = _accept_and_send
'''

DEV_SERVER = """
import sys
from kakao_receiver import create_app

create_app().run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
"""

WRK_SCRIPT = """
local counter = 0
local next_id = 0
setup = function(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["User-Agent"] = "Alertmanager/0.25.0"
local template = [==[%(body)s]==]
request = function()
  counter = counter + 1
  local body = string.gsub(template, "__N__", tid .. "-" .. counter)
  return wrk.format(nil, nil, nil, body)
end
"""


def webhook(n: str) -> dict[str, Any]:
    """A critical notification of 3 alerts; ``n`` makes it distinct (fingerprints, group key)."""
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "Disk usage", "monitor": "HostMonitor", "cluster": "alpha",
                       "host": f"a-dn{i}", "service": "host", "severity": "critical"},
            "annotations": {"description": "Data disk almost full", "value": "97.5", "threshold": "95",
                            "compare": ">", "source": "https://git.example/khp/blob/main/evaluator/monitors/host.py#L40"},
            "startsAt": "2026-11-29T06:20:25Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9464/",
            "fingerprint": f"{n}-{i}",
        }
        for i in range(3)
    ]  # fmt: skip
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="Disk usage", cluster="alpha", run="{n}"}}',
        "truncatedAlerts": 0,
        "receiver": "khp-critical",
        "status": "firing",
        "externalURL": "http://127.0.0.1:9093",
        "groupLabels": {"alertname": "Disk usage", "cluster": "alpha"},
        "commonLabels": {"alertname": "Disk usage", "cluster": "alpha", "severity": "critical"},
        "commonAnnotations": {},
        "alerts": alerts,
    }


def project(directory: Path, port: int, kakao_url: str, delivery_workers: int) -> Path:
    directory.mkdir(parents=True)
    (directory / "token").write_text(TOKEN + "\n")
    text = f"""
    store: var/khp.db
    routing:
      receiver_url: http://127.0.0.1:{port}/alertmanager
      credentials_file: {directory / "token"}
      channels: {{critical: {json.dumps(list(ROOMS))}, warning: ["kakaowork:12345"]}}
    receiver:
      language: ko
      delivery: {{workers: {delivery_workers}, lease: 30s, backoff: 1s, max_backoff: 10s}}
      channels:
        kakaowork: {{base_url: "{kakao_url}", timeout: 10}}
    """
    path = directory / "khp.yml"
    path.write_text(textwrap.dedent(text))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _standin(pipe: Connection, slow: bool) -> None:
    # The stand-in writes headers and body in two writes: with Nagle's algorithm on, the client's
    # delayed ACK holds each answer ~40 ms on loopback. Off, it answers in ~2 ms; on, it plays a
    # Kakao 40 ms away (the "slow Kakao" runs).
    _Handler.disable_nagle_algorithm = not slow
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (connections reset at shutdown print tracebacks)
    with KakaoStandIn() as kakao:
        pipe.send((kakao.url, kakao.environ))
        pipe.recv()  # "stop"
        pipe.send(len(kakao.messages))


class StandIn:
    """The Kakao stand-in in a process of its own, so that it takes no CPU time from the client."""

    def __init__(self, slow: bool = False) -> None:
        self.slow = slow

    def __enter__(self) -> StandIn:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_standin, args=(child, self.slow), daemon=True)
        self.process.start()
        self.url, self.environ = self.pipe.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self.pipe.send("stop")
        self.messages = self.pipe.recv()
        self.process.join(10)


@dataclass
class Server:
    name: str
    command: list[str]
    environ: dict[str, str]
    port: int
    log: Path
    root: Path = ROOT

    def __enter__(self) -> Server:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=self.root, env=self.environ, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        time.sleep(1.0)  # let every gunicorn worker finish booting
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class Stalled:
    """``count`` connections that send headers and stall (half announce a body) while they are open."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.sockets: list[socket.socket] = []

    def __enter__(self) -> Stalled:
        for index in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            head = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            sock.sendall(head + (b"Content-Length: 1000\r\n\r\n{" if index % 2 else b"Authorization: Bea"))
            self.sockets.append(sock)
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in self.sockets:
            sock.close()


def gunicorn(module: str, port: int, *options: str) -> list[str]:
    return [str(GUNICORN), "--workers=2", *options, f"--bind=127.0.0.1:{port}", "--no-control-socket",
            "--log-level=warning", module]  # fmt: skip


def run_wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for label in ("50", "90", "99"):
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        figures[f"p{label}"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    figures["requests"] = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = float(errors.group(1)) if errors else 0.0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    figures["socket_errors"] = socket_errors.group(1) if socket_errors else "none"  # type: ignore[assignment]
    return figures


def run_fixed_rate(port: int, rate: float, duration: int, connections: int) -> dict[str, Any]:
    """``bench/fixed_rate.py``'s open-loop load, in a process of its own; figures as ``run_wrk`` gives them."""
    head = (
        f"POST /alertmanager HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nUser-Agent: Alertmanager/0.25.0\r\n"
    ).encode()
    template = json.dumps(webhook("__N__")).encode()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        outcome = pool.apply(fixed_rate.load, ("127.0.0.1", port, head, template, rate, duration, connections))
    figures: dict[str, Any] = {f"p{label}": outcome.percentile(int(label) / 100) for label in ("50", "90", "99")}
    figures.update(
        rate=outcome.rate,
        requests=float(len(outcome.latencies) + outcome.non2xx),
        non2xx=float(outcome.non2xx),
        socket_errors=str(outcome.errors) if outcome.errors else "none",
    )
    return figures


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc``; ``[]`` where there is none)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found if Path(f"/proc/{pid}").exists() else []


def scheduling(pid: int) -> tuple[int, int]:
    """Nanoseconds the threads of ``pid``'s process tree ran, and waited runnable for a CPU (``schedstat``)."""
    ran = waited = 0
    for process in _process_tree(pid):
        for stat in Path(f"/proc/{process}/task").glob("*/schedstat"):
            try:
                on_cpu, on_queue, _slices = (int(field) for field in stat.read_text().split())
            except (OSError, ValueError):
                continue  # the thread ended meanwhile
            ran, waited = ran + on_cpu, waited + on_queue
    return ran, waited


def idle_share() -> tuple[int, int]:
    """(idle + iowait jiffies, all jiffies) of the machine so far (``/proc/stat``); (0, 0) where there is none."""
    try:
        fields = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return fields[3] + fields[4], sum(fields)


def wait_drained(outbox: Outbox, expected: int, wait: float = 600) -> None:
    """Until ``expected`` rows are sent or failed and none is pending (webhooks in flight when the load
    stopped are still committed after it), or ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        counts = outbox.counts()
        if counts["sent"] + counts["failed"] >= expected and not counts["pending"]:
            return
        time.sleep(0.2)


def delivered_rate(outbox: Outbox) -> tuple[int, float]:
    """(messages sent, per second from the first accept to the last send)."""
    rows = [row for row in outbox.rows() if row["state"] == "sent"]
    if len(rows) < 2:
        return len(rows), 0.0
    span = max(r["finished"] for r in rows) - min(r["created"] for r in rows)
    return len(rows), len(rows) / span if span > 0 else 0.0


def accept_run(
    name: str, kind: str, args: argparse.Namespace, base: Path, script: Path, slow: bool = False, root: Path = ROOT
) -> None:
    """One accept run; ``root`` is the checkout whose receiver is served (``--against``: another commit's)."""
    port = free_port()
    directory = base / re.sub(r"[^a-z0-9]+", "-", name)
    with StandIn(slow) as kakao:
        config = project(directory, port, kakao.url, args.delivery_workers)
        environ = dict(os.environ, KHP_CONFIG=str(config), PYTHONPATH=f"{directory}{os.pathsep}{root}", **kakao.environ)
        if kind == "product":
            command = gunicorn("kakao_receiver.wsgi:app", port, "--config=python:kakao_receiver.gunicorn_conf")
        elif kind == "gunicorn":
            command = gunicorn("kakao_receiver.wsgi:app", port)
        elif kind == "gthread":
            command = gunicorn("kakao_receiver.wsgi:app", port, "--worker-class=gthread", "--threads=4")
        elif kind == "sync":
            (directory / "bench_sync_app.py").write_text(SYNC_APP)
            command = gunicorn("bench_sync_app:app", port)
        else:
            (directory / "bench_dev_server.py").write_text(DEV_SERVER)
            command = [sys.executable, str(directory / "bench_dev_server.py"), str(port)]
        outbox = Outbox(load_config(config).store.path.parent / "khp-outbox.db")
        with Server(name, command, environ, port, directory / "server.log", root) as server, ExitStack() as stack:
            if args.stalled:
                stack.enter_context(Stalled(port, args.stalled))
            before, idle_before, started = scheduling(server.process.pid), idle_share(), time.monotonic()
            if args.rate:
                figures = run_fixed_rate(port, args.rate, args.duration, args.connections)
            else:
                figures = run_wrk(f"http://127.0.0.1:{port}/alertmanager", script, args.duration, args.connections)
            after, idle_after, span = scheduling(server.process.pid), idle_share(), time.monotonic() - started
            backlog = outbox.counts()["pending"]
            wait_drained(outbox, sum(outbox.counts().values()))
        sent, rate = delivered_rate(outbox)
        counts = outbox.counts()
    print(
        f"  {name:26} accepted {figures['rate']:7.1f}/s  p50 {figures['p50']:6.2f} ms  p90 {figures['p90']:6.2f} ms"
        f"  p99 {figures['p99']:7.2f} ms  (non-2xx {int(figures['non2xx'])},"
        f" socket errors {figures['socket_errors']})\n"
        f"  {'':26} outbox rows {sum(counts.values())}, pending when the load stopped {backlog}; sent {sent}"
        f" ({rate:.1f}/s from first accept to last send), failed {counts['failed']}; messages at Kakao {kakao.messages}"
    )
    if after[0] and idle_after[1] > idle_before[1]:
        idle = (idle_after[0] - idle_before[0]) / (idle_after[1] - idle_before[1])
        print(
            f"  {'':26} during the load: receiver CPU {(after[0] - before[0]) / span / 1e7:.0f}% of a core,"
            f" its threads runnable and waiting for a CPU {(after[1] - before[1]) / span / 1e7:.0f}%;"
            f" machine idle {idle * 100:.0f}% ({os.cpu_count()} CPUs)"
        )


def drain_run(args: argparse.Namespace, base: Path, slow: bool = False) -> None:
    port = free_port()
    directory = base / ("drain-slow" if slow else "drain")
    with StandIn(slow) as kakao:
        config = project(directory, port, kakao.url, args.delivery_workers)
        loaded = load_config(config)
        outbox = Outbox(loaded.store.path.parent / "khp-outbox.db")
        for n in range(args.backlog):  # stored as a webhook stores them: rendered when sent
            body = webhook(f"drain-{n}")
            notification = parse_webhook(body)
            outbox.accept(notification.id, notification.receiver, json.dumps(body), {ROOMS[0]: None})
        environ = dict(os.environ, KHP_CONFIG=str(config), **kakao.environ)
        started = time.time()
        with Server("drain", gunicorn("kakao_receiver.wsgi:app", port), environ, port, directory / "server.log"):
            wait_drained(outbox, args.backlog)
            finished = [row["finished"] for row in outbox.rows() if row["state"] == "sent"]
    span = max(finished) - min(finished)
    print(
        f"  drain {args.backlog} queued messages, Kakao answering in ~{40 if slow else 2} ms,"
        f" gunicorn -w 2 x {args.delivery_workers} threads: "
        f"{len(finished)} sent in {span:.2f} s = {(len(finished) - 1) / span:.1f} messages/s "
        f"(first after {min(finished) - started:.2f} s of start-up); at Kakao {kakao.messages}"
    )


@contextmanager
def checkout(ref: str, tree: Path, repository: Path = ROOT) -> Iterator[Path]:
    """Commit ``ref`` of ``repository`` checked out at ``tree`` (a git worktree) while the block runs."""
    git = ["git", "-C", str(repository)]
    subprocess.run([*git, "worktree", "add", "--detach", "--quiet", str(tree), ref], check=True)
    try:
        yield tree
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)
        subprocess.run([*git, "worktree", "prune"], check=False)


def against(args: argparse.Namespace, base: Path, script: Path) -> None:
    """The product worker model of this checkout and of commit ``args.against``, runs alternated."""
    with checkout(args.against, base / "against") as tree:
        for round_ in range(1, args.rounds + 1):
            accept_run(f"this checkout, run {round_}", "product", args, base, script)
            accept_run(f"{args.against}, run {round_}", "product", args, base, script, root=tree)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backlog", type=int, default=2000, help="messages queued for the drain run")
    parser.add_argument("--delivery-workers", type=int, default=2, help="receiver.delivery.workers")
    parser.add_argument("--stalled", type=int, default=100, help="stalled clients beside wrk (0: none)")
    parser.add_argument("--quick", action="store_true", help="only the worker models side by side, no drain runs")
    parser.add_argument(
        "--against",
        metavar="REF",
        help="only the product worker model, this checkout's and that of git commit REF (a temporary worktree),"
        " in alternating runs",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side with --against")
    parser.add_argument(
        "--rate",
        type=float,
        help="instead of wrk, send this many webhooks a second whatever the answers (bench/fixed_rate.py),"
        " latency counted from when each was due",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="khp-bench-receiver-") as tmp:
        base = Path(tmp)
        script = base / "post.lua"
        script.write_text(WRK_SCRIPT % {"token": TOKEN, "body": json.dumps(webhook("__N__"))})
        load = (
            f"{args.rate:g} webhooks/s due (open loop, latency from when each was due) on {args.connections}"
            f" connections for {args.duration}s"
            if args.rate
            else f"wrk -t2 -c{args.connections} -d{args.duration}s"
        )
        print(
            f"receiver accept: {load}, distinct 3-alert notifications,"
            f" 2 KakaoWork rooms each, {args.stalled} stalled clients alongside; {os.cpu_count()} CPUs"
        )
        if args.against:
            against(args, base, script)
            return 0
        accept_run("product worker model", "product", args, base, script)
        accept_run("gunicorn -w 2 sync (previous)", "gunicorn", args, base, script)
        accept_run("gunicorn -w 2 gthread x4", "gthread", args, base, script)
        if args.quick:
            return 0
        args.stalled = 0
        accept_run("flask dev server, outbox", "dev", args, base, script)
        accept_run("gunicorn -w 2, sync send", "sync", args, base, script)
        print("receiver accept, Kakao answering in ~40 ms:")
        accept_run("gunicorn -w 2, outbox", "gunicorn", args, base / "slow", script, slow=True)
        accept_run("gunicorn -w 2, sync send", "sync", args, base / "slow", script, slow=True)
        print("receiver delivery:")
        drain_run(args, base)
        drain_run(args, base, slow=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
