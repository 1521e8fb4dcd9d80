"""Process states: what Supervisor's ``getAllProcessInfo`` would answer on each host.

A healthy program is RUNNING since its last planned restart (``Cluster.restart_plan``) or
since the end of the last crash that hit it, with a pid derived from that start time.
Faults turn programs BACKOFF, FATAL, EXITED or STOPPED, or take them out of Supervisor's
configuration; a silent host, or one whose Supervisor is down, answers nothing at all.
States are tuples in the store's column order (``ProcessTuple``); ``process_state`` makes
the record of one.
"""

from __future__ import annotations

import math
import time

from khp.records import PROCESS_STATES, ProcessState

from ._condition import Condition, Down
from ._topology import Cluster

ProcessTuple = tuple[float, str, str, str, str, str, int, float, float, int, int, str, str]
"""A process state in the store's column order: time, cluster, host, name, group, statename, state,
start, stop, pid, exitstatus, spawnerr, description."""

_STATE = "RUNNING"
_RUNNING = PROCESS_STATES[_STATE]
_MINUTES_SECONDS = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))


class ProcessPlan:
    """The programs of one cluster, host by host, and the pid each got at its last start."""

    def __init__(self, cluster: Cluster, seed: int) -> None:
        self.cluster = cluster
        self.seed = seed
        self._programs = [
            (host.name, program, period, phase, key)
            for host, plan in zip(cluster.hosts, cluster.restart_plan, strict=True)
            for program, (period, phase, key) in zip(host.programs, plan, strict=True)
        ]
        self._started: list[tuple[int, int, str]] = [(-1, 0, "")] * len(self._programs)  # start, pid, "pid N, uptime "

    def states(self, t: float, condition: Condition, out: list[ProcessTuple]) -> None:
        """Append the state of every program of every answering host at ``t`` to ``out``."""
        now = math.floor(t)
        name = self.cluster.name
        away = condition.silent | condition.unanswered
        removed, restarts, down = condition.removed, condition.restarted, condition.down
        known = self._started
        for index, (host, program, period, phase, key) in enumerate(self._programs):
            if away and host in away:
                continue
            if removed and (host, program) in removed:
                continue
            start = now - (now + phase) % period
            started = float(start)
            if restarts:
                restarted = restarts.get((host, program))
                if restarted is not None and restarted > started:
                    started = restarted
            stopped = down.get((host, program)) if down else None
            if stopped is not None:
                out.append(_stopped(t, name, host, program, started, stopped))
            elif started != start:  # back from a crash, not from a planned restart
                pid = _pid(key, self.seed, int(started))
                uptime = _uptime(max(0, now - math.floor(started)))
                description = f"pid {pid}, uptime {uptime}"
                out.append((t, name, host, program, program, _STATE, _RUNNING, started, 0.0, pid, 0, "", description))
            else:
                since, pid, prefix = known[index]
                if since != start:
                    pid = _pid(key, self.seed, start)
                    prefix = f"pid {pid}, uptime "
                    known[index] = (start, pid, prefix)
                hours, rest = divmod(now - start, 3600)
                head = _HOURS.get(hours) or _hours(hours)
                description = prefix + head + _MINUTES_SECONDS[rest]
                out.append((t, name, host, program, program, _STATE, _RUNNING, started, 0.0, pid, 0, "", description))


def _stopped(t: float, cluster: str, host: str, program: str, started: float, down: Down) -> ProcessTuple:
    if down.statename in ("EXITED", "STOPPED"):
        description = time.strftime("%b %d %I:%M %p", time.gmtime(down.since))
    else:
        description = down.spawnerr
    state = PROCESS_STATES[down.statename]
    row = (t, cluster, host, program, program, down.statename, state, started, down.since, 0, down.exitstatus)
    return (*row, down.spawnerr, description)


def process_state(row: ProcessTuple) -> ProcessState:
    """The record of a tuple of ``process_tuples``."""
    return ProcessState(
        time=row[0],
        cluster=row[1],
        host=row[2],
        name=row[3],
        group=row[4],
        statename=row[5],
        state=row[6],
        start=row[7],
        stop=row[8],
        pid=row[9],
        exitstatus=row[10],
        spawnerr=row[11],
        description=row[12],
    )


def _pid(key: int, seed: int, started: int) -> int:
    return 1000 + (key + seed * 40503 + started * 2654435761) % 64000


def _uptime(seconds: int) -> str:
    """``str(datetime.timedelta(seconds=seconds))`` for whole seconds >= 0, without making a timedelta."""
    hours, rest = divmod(seconds, 3600)
    return (_HOURS.get(hours) or _hours(hours)) + _MINUTES_SECONDS[rest]


def _hours(total: int) -> str:
    """``1 day, 2:`` for 26 hours: an uptime up to its minutes (kept for the next time)."""
    days, hours = divmod(total, 24)
    head = f"{days} day{'' if days == 1 else 's'}, {hours}:" if days else f"{hours}:"
    if len(_HOURS) < 100_000:
        _HOURS[total] = head
    return head


_HOURS: dict[int, str] = {}
