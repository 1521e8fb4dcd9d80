"""What ``simulate`` writes, piece by piece, in the order that SQLite writes fastest.

Metric points go in per cluster over spans of up to a day of steps: each series' points then
land together at the end of its range of the points table, which SQLite writes two to three
times faster than one step of every series at a time (and the gap grows with the table).
Process states and log lines go in by chunks of up to an hour of steps for a few thousand
hosts at a time, in time order, the order of their index on time.

Making the rows takes about as long as writing them, so a long simulation makes its pieces in
a second process (``made_apart``) while this one writes the one before.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TypeVar

from khp.store import Bulk

from ._fleet import Chunk, Fleet

_POINTS_PER_PIECE = 1_500_000  # one cluster's points over a span of steps
_ROWS_PER_PIECE = 400_000  # process states (and log lines) of a group of clusters over a chunk of steps
_HOSTS_PER_GROUP = 2500
_PROCESSES_PER_HOST = 8  # 6 on average, 7 on a Hadoop worker
_SERIES_PER_HOST = 32  # 21 on average, 30 on a Hadoop master
_STEPS_PER_SPAN = 1440
_STEPS_PER_CHUNK = 60
_HOST_STEPS_APART = 30_000  # from about this much work on (20 clusters for 50 minutes), a second process pays
_T = TypeVar("_T")


@dataclass(frozen=True)
class Work:
    """What to make: rows at ``times`` (ascending, ``step`` apart) of ``clusters``, of ``kinds``."""

    times: Sequence[float]
    step: float
    clusters: tuple[str, ...]
    kinds: tuple[str, ...]
    metric_paths: frozenset[str] | None = None


@dataclass(frozen=True)
class Piece:
    """Rows to write in one transaction; ``done``: about how many steps are written once it is."""

    bulk: Bulk
    done: int


def pieces(fleet: Fleet, work: Work) -> Generator[Piece, None, None]:
    """The pieces of ``work``, in the order to write them.

    Within each span the clusters' metrics and the chunks of process states and log lines take
    turns, in proportion, so that a second process making them keeps pace with the writer.
    """
    times, step = work.times, work.step
    clusters = [fleet.cluster(name) for name in work.clusters]
    if not clusters or not work.kinds:
        return
    widest = max(len(cluster.hosts) for cluster in clusters)
    span = max(_STEPS_PER_CHUNK, min(_STEPS_PER_SPAN, _POINTS_PER_PIECE // (widest * _SERIES_PER_HOST)))
    span -= span % _STEPS_PER_CHUNK
    groups = _groups(clusters)
    largest = max(sum(len(fleet.cluster(name).hosts) for name in names) for names in groups)
    steps = max(1, min(_STEPS_PER_CHUNK, _ROWS_PER_PIECE // (largest * _PROCESSES_PER_HOST)))
    others = tuple(kind for kind in work.kinds if kind != "metrics")
    for first in range(0, len(times), span):
        part = times[first : first + span]
        metrics = [
            functools.partial(fleet.chunk, part, part[0] - step, [cluster.name], ("metrics",), work.metric_paths)
            for cluster in clusters
            if "metrics" in work.kinds
        ]
        rows = [
            functools.partial(fleet.chunk, part[begin : begin + steps], part[begin] - step, names, others)
            for begin in range(0, len(part), steps)
            for names in groups
            if others
        ]
        total = len(metrics) + len(rows)
        for done, make in enumerate(_alternated(metrics, rows), start=1):
            made: Chunk = make()
            yield Piece(Bulk.of(made.series, made.logs, made.processes), first + len(part) * done // total)


def _alternated(ones: Sequence[_T], others: Sequence[_T]) -> Iterator[_T]:
    """Both sequences merged, each item where its share of its own sequence puts it."""
    i = j = 0
    while i < len(ones) or j < len(others):
        if j >= len(others) or (i < len(ones) and (i + 0.5) * len(others) <= (j + 0.5) * len(ones)):
            yield ones[i]
            i += 1
        else:
            yield others[j]
            j += 1


def apart_pays(work: Work, fleet: Fleet) -> bool:
    """Whether ``work`` is large enough to make in a second process, and this one may start it."""
    hosts = sum(len(fleet.cluster(name).hosts) for name in work.clusters)
    return (
        len(work.times) * hosts >= _HOST_STEPS_APART
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1  # a fork copies no other thread: one holding a lock would block the child
        and "fork" in multiprocessing.get_all_start_methods()
    )


def made_apart(fleet: Fleet, work: Work) -> Generator[Piece, None, None]:
    """``pieces(fleet, work)``, made in a forked process a couple of pieces ahead of the caller.

    A thread here receives them while the caller writes (SQLite lets other threads run meanwhile).
    """
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_make, args=(fleet, work, sending), name="khp-simulate", daemon=True)
    child.start()
    sending.close()
    received: queue.Queue[Piece | str | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    receiver = threading.Thread(target=_receive, args=(receiving, received, stop), name="khp-simulate-receiver")
    receiver.start()
    try:
        while (item := received.get()) is not None:
            if isinstance(item, str):
                child.join(timeout=5)
                raise RuntimeError(f"the process making the rows failed: {item}")
            yield item
    finally:
        stop.set()
        if child.is_alive():
            child.terminate()
        child.join()
        receiver.join()
        receiving.close()


def _receive(receiving: Connection, received: queue.Queue[Piece | str | None], stop: threading.Event) -> None:
    """Pass on what the child sends until it is done; a child gone early is a failure."""
    while not stop.is_set():
        try:
            item = receiving.recv()
        except (EOFError, OSError):
            item = "it ended before it was done" if not stop.is_set() else None
        while not stop.is_set():
            try:
                received.put(item, timeout=0.1)
                break
            except queue.Full:
                continue
        if not isinstance(item, Piece):
            return


def _make(fleet: Fleet, work: Work, sending: Connection) -> None:
    try:
        for piece in pieces(fleet, work):
            sending.send(piece)
        sending.send(None)
    except (KeyboardInterrupt, BrokenPipeError):
        return  # the writer stopped (Ctrl-C, or its own error, which it reports): nothing to send
    except Exception:
        sending.send(traceback.format_exc().strip().splitlines()[-1])


def _groups(clusters: Sequence) -> list[list[str]]:
    """Cluster names in groups of about ``_HOSTS_PER_GROUP`` hosts."""
    groups: list[list[str]] = [[]]
    hosts = 0
    for cluster in clusters:
        if hosts >= _HOSTS_PER_GROUP:
            groups.append([])
            hosts = 0
        groups[-1].append(cluster.name)
        hosts += len(cluster.hosts)
    return groups
