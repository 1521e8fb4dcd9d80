"""From a checked webhook to outbox rows: the heartbeat noted, expiries held, exact repeats left out.

For each webhook of a room receiver: every resolution Alertmanager made on its own (a khp
alert's ``endsAt`` passed, no ``resolved_by`` from the bridge) is held (``_holding``), once the
receiver has ever heard the evaluator; a FIRING or an evaluator's RESOLVED for an alert makes
any resolution held for it moot; then each room gets the alerts that change what it was told
(``_ledger``), one outbox message per group of rooms told the same, committed before the answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from khp.routing import parse_receiver_name

from ._holding import Holding, expired
from ._ledger import Ledger, Share, plan
from ._outbox import Outbox
from ._watch import Watch, beat_of
from ._webhook import Notification, dumps

ATTEMPTS = 5
Render = Callable[[Notification, tuple[str, ...]], dict[str, Any]]
"""A notification's payloads for rooms: room -> channel payload, or ``None`` to render it when it is sent."""


@dataclass
class Intake:
    """What a webhook goes through after its checks; shared by the views of one process."""

    ledger: Ledger
    holding: Holding
    watch: Watch
    window: float  # receiver.duplicate_window
    clock: Callable[[], float]

    def take(
        self,
        notification: Notification,
        payload: Mapping[str, Any],
        rooms: Sequence[str],
        render: Render,
        outbox: Outbox,
    ) -> dict[str, Any]:
        """Store what ``notification`` (decoded from the webhook ``payload``) tells ``rooms`` in ``outbox``.

        Returns the JSON answer (status, id, rooms).
        """
        answer: dict[str, Any] = {"status": "duplicate", "id": notification.id, "rooms": list(rooms)}
        now = self.clock()
        if parse_receiver_name(notification.receiver).heartbeat:
            at = beat_of(notification)
            if at is not None:
                self.watch.beat(at, now)
            return {**answer, "status": "heartbeat", "rooms": []}
        raw = {str(alert.get("fingerprint")): alert for alert in payload["alerts"]}
        heard = self.watch.ever_heard()  # with no evaluator ever heard, there is nothing to wait for
        held = [a for a in notification.alerts if heard and expired(a)]
        told = [a for a in notification.alerts if a not in held]
        self.holding.hold(
            [(room, raw[a.fingerprint]) for room in rooms for a in held], notification.receiver, payload, now
        )
        self.holding.release((room, a.fingerprint) for room in rooms for a in told)
        outcomes = []
        for _attempt in range(ATTEMPTS):  # another process told the same rooms meanwhile: plan again
            before = self.ledger.told(rooms, (a.fingerprint for a in told))
            changed = False
            for share in plan(notification, told, rooms, before, now, self.window):
                outcome = self._accept(notification, payload, raw, share, render, outbox, now)
                changed |= outcome == "changed"
                if outcome != "changed":
                    outcomes.append((share.id, outcome))
            if not changed:
                break
        if outcomes:
            answer["id"] = outcomes[0][0]
            found = {outcome for _, outcome in outcomes}
            answer["status"] = next(s for s in ("accepted", "repeated", "duplicate") if s in found)
        elif held and not told:
            answer["status"] = "held"
        return answer

    def _accept(
        self,
        notification: Notification,
        payload: Mapping[str, Any],
        raw: Mapping[str, Any],
        share: Share,
        render: Render,
        outbox: Outbox,
        now: float,
    ) -> str:
        """Commit one message and, in the same transaction, what its rooms are now told."""
        status = "firing" if any(a.status == "firing" for a in share.alerts) else "resolved"
        part = replace(notification, alerts=share.alerts, status=status)
        part_body = dumps({**payload, "status": status, "alerts": [raw[a.fingerprint] for a in share.alerts]})

        def guard(conn: sqlite3.Connection) -> bool:
            return Ledger.claim(conn, share.before, share.entries, now)

        return outbox.accept(
            share.id, notification.receiver, part_body, render(part, share.rooms), self.window, guard=guard
        )


def held_body(notification: Mapping[str, Any], alerts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The webhook body of held resolutions released together."""
    return {**notification, "status": "resolved", "alerts": list(alerts)}
