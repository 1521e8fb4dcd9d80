"""Log lines: RegionServer RPC warnings, ZooKeeper fsync warnings and the kernel's messages.

Each stream of ``STREAMS`` is written by the hosts that run its program (the kernel's by every
host) and shipped by the host's ``filebeat-shipper``. A healthy host writes a little INFO
noise and, rarely, a warning; faults add bursts (``BURSTS``): RegionServer
``responseTooSlow``/``responseTooLarge`` lines, ZooKeeper ``fsync-ing the write ahead log ...
took ...ms``, the kernel's ``Remounting filesystem read-only`` and ``blk_update_request: I/O
error`` lines. Lines are drawn per minute of the epoch (a generator keyed on ``(seed, cluster,
minute)``), so the lines in any period are the same however the period is cut into steps.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from . import _random
from ._condition import Condition
from ._topology import Cluster, Host

_MINUTE = 60.0
_SHIPPER = "filebeat-shipper"

Message = Callable[[random.Random, int, float], str]  # draw, host index, minute start -> message


@dataclass(frozen=True)
class LogStream:
    """The lines one program writes: INFO noise, a rare warning, and the bursts faults cause.

    A host writes no INFO line in a minute with chance ``quiet``, one up to ``busy`` and two
    above; a healthy warning with chance ``warning_chance``. ``program`` ``None`` is every host.
    """

    program: str | None
    service: str
    role: str
    quiet: float
    busy: float
    info: Message
    warning_chance: float = 0.0
    warning: Message | None = None

    def writers(self, cluster: Cluster) -> tuple[Host, ...]:
        return cluster.hosts if self.program is None else cluster.hosts_running(self.program)


@dataclass(frozen=True)
class Burst:
    """Lines a fault makes a stream write (``Condition.log_bursts`` says how many a minute)."""

    stream: int  # index in STREAMS
    level: str
    message: Message


def _region(draw: random.Random, host: int) -> str:
    table = ("usertable", "events", "profiles", "sessions")[draw.randrange(4)]
    return f"{table},user{draw.randrange(10**6):06d},{1700000000000 + host}.{draw.getrandbits(64):016x}."


def _regionserver_info(draw: random.Random, host: int, begin: float) -> str:
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


def _slow_response(draw: random.Random, host: int, begin: float) -> str:
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


def _client(draw: random.Random) -> str:
    return f"/10.{draw.randrange(256)}.{draw.randrange(256)}.{draw.randrange(1, 255)}:{draw.randrange(30000, 60000)}"


def _zookeeper_info(draw: random.Random, host: int, begin: float) -> str:
    kind = draw.randrange(3)
    session = f"0x{draw.getrandbits(60):x}"
    if kind == 0:
        return (
            f"server.ZooKeeperServer: Established session {session} with negotiated timeout 30000 for client"
            f" {_client(draw)}"
        )
    if kind == 1:
        return (
            f"server.NIOServerCnxn: Closed socket connection for client {_client(draw)} which had sessionid {session}"
        )
    return f"server.NIOServerCnxnFactory: Accepted socket connection from {_client(draw)}"


def _slow_fsync(draw: random.Random, host: int, begin: float) -> str:
    return (
        f"persistence.FileTxnLog: fsync-ing the write ahead log in SyncThread:{draw.randrange(1, 6)} took"
        f" {draw.randint(1001, 9000)}ms which will adversely effect operation latency.File size is"
        f" {draw.randrange(1, 64) * 1048576 + 16} bytes. See the ZooKeeper troubleshooting guide"
    )


def _disk(draw: random.Random) -> str:
    return "sd" + "bcdefghijklm"[draw.randrange(12)]


def _kernel_info(draw: random.Random, host: int, begin: float) -> str:
    if draw.random() < 0.5:
        took, rate = draw.randint(2501, 4000), draw.randrange(50000, 100000)
        return f"perf: interrupt took too long ({took} > 2500), lowering kernel.perf_event_max_sample_rate to {rate}"
    return f"TCP: request_sock_TCP: Possible SYN flooding on port {draw.choice((8020, 9092, 2181))}. Sending cookies."


def _read_only(draw: random.Random, host: int, begin: float) -> str:
    return f"EXT4-fs ({_disk(draw)}1): Remounting filesystem read-only"


def _io_error(draw: random.Random, host: int, begin: float) -> str:
    return (
        f"blk_update_request: I/O error, dev {_disk(draw)}, sector {draw.randrange(10**9)} op 0x0:(READ) flags 0x0"
        " phys_seg 1 prio class 0"
    )


STREAMS = (
    LogStream("hbase-regionserver", "hbase", "regionserver", 0.5, 0.85, _regionserver_info, 0.003, _slow_response),
    LogStream("zookeeper-server", "zookeeper", "server", 0.6, 0.95, _zookeeper_info, 0.002, _slow_fsync),
    LogStream(None, "host", "kernel", 0.995, 1.0, _kernel_info),
)
BURSTS: dict[str, Burst] = {
    "slow_responses": Burst(0, "WARN", _slow_response),
    "slow_fsync": Burst(1, "WARN", _slow_fsync),
    "read_only": Burst(2, "CRIT", _read_only),
    "io_errors": Burst(2, "ERROR", _io_error),
}
_BURSTS_OF = {
    index: [(n, name, b) for n, (name, b) in enumerate(BURSTS.items()) if b.stream == index]
    for index in range(len(STREAMS))
}


LogTuple = tuple[
    float, str, str, str, str, str, str
]  # LogRow's fields: time, cluster, host, service, role, level, message


def log_tuples(
    cluster: Cluster,
    since: float,
    t: float,
    seed: int,
    condition_at: Callable[[float], Condition],
    out: list[LogTuple],
) -> None:
    """Append the lines ``cluster``'s hosts wrote in ``(since, t]`` to ``out`` (``LogRow(*line)`` is the record)."""
    if t <= since:
        return
    writers = [stream.writers(cluster) for stream in STREAMS]
    for minute in range(math.floor(since / _MINUTE), math.floor(t / _MINUTE) + 1):
        begin = minute * _MINUTE
        condition = condition_at(begin)
        draw = _random.rng(_random.LOGS, seed, cluster.number, minute)
        for index, stream in enumerate(STREAMS):
            for host in writers[index]:
                lines: list[tuple[float, str, str]] = []
                count = draw.random()
                for _ in range(0 if count < stream.quiet else 1 if count < stream.busy else 2):
                    lines.append((begin + draw.random() * _MINUTE, "INFO", stream.info(draw, host.index, begin)))
                if stream.warning is not None and draw.random() < stream.warning_chance:
                    lines.append((begin + draw.random() * _MINUTE, "WARN", stream.warning(draw, host.index, begin)))
                if condition.log_bursts:
                    for number, name, burst in _BURSTS_OF[index]:
                        rate = condition.log_bursts.get((host.name, name))
                        if rate:
                            more = _random.rng(_random.LOG_BURSTS, seed, cluster.number, host.index, minute, number)
                            count = int(rate) + (more.random() < rate % 1.0)
                            lines.extend(
                                (begin + more.random() * _MINUTE, burst.level, burst.message(more, host.index, begin))
                                for _ in range(count)
                            )
                if not lines or _silent(condition, host.name, stream.program):
                    continue  # drawn all the same, so other hosts' lines do not shift
                for when, level, message in lines:
                    if since < when <= t:
                        out.append(
                            (round(when, 3), cluster.name, host.name, stream.service, stream.role, level, message)
                        )


def _silent(condition: Condition, host: str, program: str | None) -> bool:
    if condition.silent_program(host, _SHIPPER):
        return True
    return program is not None and condition.silent_program(host, program)
