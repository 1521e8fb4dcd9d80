"""An open-loop HTTP load: requests at a fixed rate, latency counted from when each was due.

``wrk`` keeps each connection busy: a request leaves only when the previous one on its
connection is answered, so it measures the latency at the server's saturation, and a server
that stalls is sent fewer requests meanwhile. Here request ``i`` is due at ``start + i / rate``
whatever the answers do; it goes out on the first of ``connections`` kept-alive connections
that is free, and its latency runs from when it was due, not from when it left, so the time
it waited for a free connection (a stalled server) is counted (no "coordinated omission").

Used by ``bench/receiver.py --rate R``; ``load`` runs in a process of its own, beside the server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What a fixed-rate load saw: latencies (s, from when each request was due) of the 2xx answers."""

    due: int  # requests due during the load
    latencies: tuple[float, ...]
    non2xx: int
    errors: int
    span: float  # seconds from the first request due to the last answer

    @property
    def rate(self) -> float:
        """Answers per second over the load."""
        return (len(self.latencies) + self.non2xx) / self.span if self.span > 0 else 0.0

    def percentile(self, share: float) -> float:
        """The latency (ms) under which ``share`` of the 2xx answers came."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def load(host: str, port: int, head: bytes, template: bytes, rate: float, duration: float, connections: int) -> Outcome:
    """``rate`` requests a second for ``duration`` seconds: ``head`` then ``template`` with ``__N__`` made unique.

    ``head`` is the request line and headers up to ``Content-Length:`` (which is added).
    """
    return asyncio.run(_load(host, port, head, template, rate, duration, connections))


async def _load(
    host: str, port: int, head: bytes, template: bytes, rate: float, duration: float, connections: int
) -> Outcome:
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    counts = {"non2xx": 0, "errors": 0}
    total = int(rate * duration)
    start = loop.time() + 0.1
    last = [start]

    async def schedule() -> None:
        for index in range(total):
            at = start + index / rate
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            due.put_nowait((index, at))
        for _ in range(connections):
            due.put_nowait(None)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (item := await due.get()) is not None:
                index, at = item
                body = template.replace(b"__N__", f"fixed-{index}".encode())
                writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                try:
                    status = await _answer(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    counts["errors"] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                now = loop.time()
                last[0] = max(last[0], now)
                if 200 <= status < 300:
                    latencies.append(now - at)
                else:
                    counts["non2xx"] += 1
        finally:
            writer.close()

    await asyncio.gather(schedule(), *(connection() for _ in range(connections)))
    return Outcome(total, tuple(latencies), counts["non2xx"], counts["errors"], last[0] - start)


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer with a ``Content-Length``; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status
