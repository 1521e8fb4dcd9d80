"""HBase RegionServer log lines: INFO noise, and responseTooSlow/responseTooLarge warnings.

Lines are drawn per minute of the epoch (a generator keyed on ``(seed, cluster, minute)``), so
the lines in any period are the same however the period is cut into steps. A healthy
RegionServer writes about two INFO lines every three minutes and a slow-response warning about
once every five hours; an ``hbase_slow_responses`` fault makes it write 10-40 a minute.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable

from khp.records import LogRow

from . import _random
from ._condition import Condition
from ._topology import Cluster

_MINUTE = 60.0
_HEALTHY_SLOW = 0.003  # chance per RegionServer and minute of one slow-response warning
_PROGRAM = "hbase-regionserver"


def log_rows(
    cluster: Cluster,
    since: float,
    t: float,
    seed: int,
    condition_at: Callable[[float], Condition],
    out: list[LogRow],
) -> None:
    """Append the RegionServer lines of ``cluster`` written in ``(since, t]`` to ``out``."""
    regionservers = [host for host in cluster.hosts if _PROGRAM in host.programs]
    if not regionservers or t <= since:
        return
    for minute in range(math.floor(since / _MINUTE), math.floor(t / _MINUTE) + 1):
        begin = minute * _MINUTE
        condition = condition_at(begin)
        draw = _random.rng(_random.LOGS, seed, cluster.number, minute)
        for host in regionservers:
            lines: list[tuple[float, str, str]] = []
            count = draw.random()
            for _ in range(0 if count < 0.5 else 1 if count < 0.85 else 2):
                lines.append((begin + draw.random() * _MINUTE, "INFO", _info(draw, host.index)))
            if draw.random() < _HEALTHY_SLOW:
                lines.append((begin + draw.random() * _MINUTE, "WARN", _slow(draw, begin)))
            rate = condition.slow_logs.get(host.name)
            if rate:
                burst = _random.rng(_random.LOG_BURSTS, seed, cluster.number, host.index, minute)
                count = int(rate) + (burst.random() < rate % 1.0)
                lines.extend((begin + burst.random() * _MINUTE, "WARN", _slow(burst, begin)) for _ in range(count))
            if condition.silent_program(host.name, _PROGRAM) or condition.silent_program(host.name, "filebeat-shipper"):
                continue  # drawn all the same, so other hosts' lines do not shift
            for when, level, message in lines:
                if since < when <= t:
                    out.append(LogRow(round(when, 3), cluster.name, host.name, "hbase", "regionserver", level, message))


def _region(draw: random.Random, host: int) -> str:
    table = ("usertable", "events", "profiles", "sessions")[draw.randrange(4)]
    return f"{table},user{draw.randrange(10**6):06d},{1700000000000 + host}.{draw.getrandbits(64):016x}."


def _info(draw: random.Random, host: int) -> str:
    kind = draw.randrange(5)
    region = _region(draw, host)
    if kind == 0:
        size = draw.uniform(1, 128)
        return (
            f"regionserver.HRegion: Flushing {region} 1/1 column families, dataSize={size:.2f} MB "
            f"heapSize={size * 1.1:.2f} MB"
        )
    if kind == 1:
        files = draw.randint(2, 10)
        return (
            f"regionserver.HStore: Completed compaction of {files} file(s) in cf of {region} into "
            f"{draw.getrandbits(64):016x}, size={draw.uniform(0.1, 4):.1f} G"
        )
    if kind == 2:
        accesses = draw.randint(10**6, 10**8)
        hits = int(accesses * draw.uniform(0.9, 0.99))
        return (
            f"hfile.LruBlockCache: totalSize={draw.uniform(1, 8):.2f} GB, freeSize={draw.uniform(0.5, 4):.2f} GB, "
            f"max=12 GB, blockCount={draw.randint(10**4, 10**5)}, accesses={accesses}, hits={hits}, "
            f"hitRatio={hits / accesses:.2%}"
        )
    if kind == 3:
        return (
            f"wal.AbstractFSWAL: Rolled WAL /hbase/WALs/rs{host}/wal.{1700000000000 + draw.randrange(10**9)} "
            f"with entries={draw.randint(100, 90000)}, filesize={draw.uniform(1, 128):.1f} M; new WAL created"
        )
    return f"regionserver.HRegion: Opened {region} in {draw.randint(20, 900)}ms"


def _slow(draw: random.Random, begin: float) -> str:
    large = draw.random() < 0.25
    started = int((begin + draw.random() * _MINUTE) * 1000)
    request = "ScanRequest" if large else "MultiRequest"
    client = f"10.{draw.randrange(256)}.{draw.randrange(256)}.{draw.randrange(1, 255)}:{draw.randrange(30000, 60000)}"
    payload = {
        "call": f"{request[:-7]}(org.apache.hadoop.hbase.shaded.protobuf.generated.ClientProtos${request})",
        "starttimems": str(started),
        "responsesize": str(draw.randint(110_000_000, 400_000_000) if large else draw.randint(100, 9000)),
        "method": request[:-7],
        "processingtimems": draw.randint(200, 2000) if large else draw.randint(10_000, 60_000),
        "client": client,
        "queuetimems": draw.randint(0, 50),
        "class": "HRegionServer",
    }
    tag = "responseTooLarge" if large else "responseTooSlow"
    return f"ipc.RpcServer: ({tag}): {json.dumps(payload, separators=(',', ':'))}"
