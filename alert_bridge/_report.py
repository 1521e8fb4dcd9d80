"""What one ``AlertBridge.process`` did: transitions, sends per Alertmanager, errors, times."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluator import Problem


@dataclass
class BridgeReport:
    """Transitions of the cycle (problems), then delivery per Alertmanager URL.

    ``delivered``/``errors`` count what finished during this call, which may include a
    delivery started in an earlier cycle (a slow Alertmanager); ``busy`` lists the
    Alertmanagers still sending from before, whose alerts wait for the next cycle.
    """

    at: float
    pending: list[Problem] = field(default_factory=list)  # first seen; waiting for their pending time
    fired: list[Problem] = field(default_factory=list)  # sent as firing for the first time
    resent: list[Problem] = field(default_factory=list)  # firing, re-sent on the resend schedule
    resolved: list[Problem] = field(default_factory=list)  # gone: sent with endsAt = now
    repeated: list[Problem] = field(default_factory=list)  # resolutions re-sent
    reset: list[Problem] = field(default_factory=list)  # gone before their pending time: never sent
    kept: list[Problem] = field(default_factory=list)  # their monitor failed: state kept as it was
    held: list[Problem] = field(default_factory=list)  # no data this cycle: held as they were
    nodata_resolved: list[Problem] = field(default_factory=list)  # no data for the whole hold: ended for lack of it
    detected: list[Problem] = field(default_factory=list)  # new occurrences (pending, or fired at once)
    raised: list[Problem] = field(default_factory=list)  # the "No data" problems the bridge holds after the cycle
    forgotten: int = 0  # resolved alerts whose repeats are over
    sent: dict[str, int] = field(default_factory=dict)  # alerts handed to each Alertmanager this cycle
    heartbeats: list[str] = field(default_factory=list)  # Alertmanagers the heartbeat went to this cycle
    delivered: dict[str, int] = field(default_factory=dict)  # alerts each Alertmanager acknowledged
    errors: dict[str, list[str]] = field(default_factory=dict)
    busy: list[str] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)  # pending / firing / resolved after the cycle
    written: int = 0  # state rows written to the store
    send_seconds: float = 0.0
    store_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(len(messages) for messages in self.errors.values())

    def summary(self) -> str:
        """One line for the log of ``khp run``."""
        moved = ", ".join(
            f"{len(found)} {name}"
            for name, found in (
                ("pending", self.pending),
                ("fired", self.fired),
                ("resent", self.resent),
                ("resolved", self.resolved),
                ("kept", self.kept),
                ("held without data", self.held),
                ("ended without data", self.nodata_resolved),
            )
            if found
        )
        held = ", ".join(f"{count} {phase}" for phase, count in self.states.items() if count) or "none"
        line = f"alerts: {moved or 'no change'}; held: {held}; {sum(self.sent.values())} sent in {self.seconds:.2f}s"
        for url, messages in sorted(self.errors.items()):
            line += f"; {url}: {len(messages)} error(s), last: {messages[-1]}"
        if self.busy:
            line += f"; still sending: {', '.join(self.busy)}"
        return line
