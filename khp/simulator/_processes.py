"""Process states: what Supervisor's ``getAllProcessInfo`` would answer on each host.

A healthy program is RUNNING since its last planned restart (``Cluster.restart_plan``) or
since the end of the last crash that hit it, with a pid derived from that start time.
Faults turn programs BACKOFF, FATAL, EXITED or STOPPED, or take them out of Supervisor's
configuration; a silent host, or one whose Supervisor is down, answers nothing at all.
"""

from __future__ import annotations

import datetime
import math
import time

from khp.records import PROCESS_STATES, ProcessState

from ._condition import Condition
from ._topology import Cluster


def process_rows(cluster: Cluster, t: float, seed: int, condition: Condition, out: list[ProcessState]) -> None:
    """Append the state of every program of every answering host of ``cluster`` at ``t`` to ``out``."""
    running = PROCESS_STATES["RUNNING"]
    now = math.floor(t)
    for host in cluster.hosts:
        if host.name in condition.silent or host.name in condition.unanswered:
            continue
        for program, (period, phase, key) in zip(host.programs, cluster.restart_plan[host.index], strict=True):
            if (host.name, program) in condition.removed:
                continue
            started = float(now - (now + phase) % period)
            restarted = condition.restarted.get((host.name, program))
            if restarted is not None and restarted > started:
                started = restarted
            down = condition.down.get((host.name, program))
            if down is None:
                pid = 1000 + (key + seed * 40503 + int(started) * 2654435761) % 64000
                uptime = datetime.timedelta(seconds=max(0, now - math.floor(started)))
                out.append(
                    ProcessState(
                        time=t,
                        cluster=cluster.name,
                        host=host.name,
                        name=program,
                        statename="RUNNING",
                        group=program,
                        state=running,
                        start=started,
                        stop=0.0,
                        pid=pid,
                        exitstatus=0,
                        spawnerr="",
                        description=f"pid {pid}, uptime {uptime}",
                    )
                )
                continue
            if down.statename in ("EXITED", "STOPPED"):
                description = time.strftime("%b %d %I:%M %p", time.gmtime(down.since))
            else:
                description = down.spawnerr
            out.append(
                ProcessState(
                    time=t,
                    cluster=cluster.name,
                    host=host.name,
                    name=program,
                    statename=down.statename,
                    group=program,
                    state=PROCESS_STATES[down.statename],
                    start=started,
                    stop=down.since,
                    pid=0,
                    exitstatus=down.exitstatus,
                    spawnerr=down.spawnerr,
                    description=description,
                )
            )
