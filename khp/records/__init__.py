"""The data khp-monitor reads, as DESIGN §3 defines it: metric rows, log lines, process states.

These are plain frozen records shared by the store, the sources, the simulator and the
evaluator; this package does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

# Supervisor's process state codes (supervisor/states.py).
PROCESS_STATES = {
    "STOPPED": 0,
    "STARTING": 10,
    "RUNNING": 20,
    "BACKOFF": 30,
    "STOPPING": 40,
    "EXITED": 100,
    "FATAL": 200,
    "UNKNOWN": 1000,
}


@dataclass(frozen=True)
class MetricRow:
    """One metric value of a host at a time; addressed as ``service/role/name``."""

    time: float
    cluster: str
    host: str
    service: str
    role: str
    name: str
    value: float

    @property
    def path(self) -> str:
        return f"{self.service}/{self.role}/{self.name}"


@dataclass(frozen=True)
class LogRow:
    """One log line of a process."""

    time: float
    cluster: str
    host: str
    service: str
    role: str
    level: str
    message: str


@dataclass(frozen=True)
class ProcessState:
    """One process as Supervisor's ``getAllProcessInfo`` reports it, with where and when."""

    time: float
    cluster: str
    host: str
    name: str
    statename: str
    group: str = ""
    state: int = -1
    start: float = 0.0
    stop: float = 0.0
    pid: int = 0
    exitstatus: int = 0
    spawnerr: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if self.state == -1:
            object.__setattr__(self, "state", PROCESS_STATES.get(self.statename, 1000))
        if not self.group:
            object.__setattr__(self, "group", self.name)

    @property
    def running(self) -> bool:
        return self.statename == "RUNNING"


__all__ = ["PROCESS_STATES", "LogRow", "MetricRow", "ProcessState"]
