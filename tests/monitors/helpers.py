"""Helpers for tests of the bundled monitors."""

from __future__ import annotations

from collections.abc import Sequence

from khp.records import ProcessState
from khp.sources import EmbeddedProcesses, ProcessQuery


class SupervisorLikeProcesses:
    """Stored process states plus hosts whose Supervisor did not answer, as a live Supervisor source reports them."""

    def __init__(self, stored: EmbeddedProcesses, unreachable: Sequence[tuple[str, str, str]]) -> None:
        self.stored = stored
        self.hosts = list(unreachable)

    def states(self, query: ProcessQuery) -> Sequence[ProcessState]:
        return self.stored.states(query)

    def seen(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        return self.stored.seen(query)

    def unreachable(self, query: ProcessQuery) -> Sequence[tuple[str, str, str]]:
        return [host for host in self.hosts if query.clusters is None or host[0] in query.clusters]
