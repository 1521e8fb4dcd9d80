"""Carries one cycle's alerts to one Alertmanager in a thread of its own, so a slow or dead
Alertmanager delays neither the others nor the next evaluation."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._client import AlertmanagerClient
from ._errors import DeliveryError, RejectedError
from ._machine import Key

# what each batch carries: the encoded JSON array and, per alert, (problem key, send number)
Batch = tuple[bytes, Sequence[tuple[Key, int]]]


@dataclass
class Delivery:
    """One Alertmanager's share of a cycle, and how it went.

    ``settled`` is set once the outcome is known or the first attempt failed (retries may go
    on in the background); ``done`` once it is over.
    """

    url: str
    batches: Sequence[Batch]
    delivered: list[tuple[Key, int]] = field(default_factory=list)
    rejected: list[tuple[Key, int]] = field(default_factory=list)
    failed: list[tuple[Key, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    settled: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def alerts(self) -> int:
        return sum(len(entries) for _, entries in self.batches)


class Courier:
    """Sends to one Alertmanager, one delivery at a time."""

    def __init__(self, client: AlertmanagerClient) -> None:
        self.client = client
        self.url = client.url
        self._current: Delivery | None = None

    @property
    def busy(self) -> bool:
        return self._current is not None and not self._current.done.is_set()

    def send(self, batches: Sequence[Batch]) -> Delivery:
        """Start delivering ``batches``; only when not ``busy``."""
        assert not self.busy, f"{self.url} is still delivering"
        delivery = Delivery(self.url, batches)
        self._current = delivery
        name = f"khp-alerts-{self.url.split('://', 1)[-1]}"
        threading.Thread(target=self._run, args=(delivery,), name=name, daemon=True).start()
        return delivery

    def take(self) -> Delivery | None:
        """The delivery that ended since the last ``take``, if any."""
        delivery = self._current
        if delivery is None or not delivery.done.is_set():
            return None
        self._current = None
        return delivery

    def wait(self, timeout: float) -> bool:
        delivery = self._current
        return delivery is None or delivery.done.wait(timeout)

    def _run(self, delivery: Delivery) -> None:
        began = time.perf_counter()
        try:
            for index, (body, entries) in enumerate(delivery.batches):
                try:
                    self.client.post(body, on_retry=delivery.settled.set)
                except RejectedError as error:
                    delivery.rejected.extend(entries)
                    delivery.errors.append(str(error))
                except DeliveryError as error:
                    # it is down: the rest would fail the same way, after as many retries
                    for _, rest in delivery.batches[index:]:
                        delivery.failed.extend(rest)
                    delivery.errors.append(str(error))
                    break
                else:
                    delivery.delivered.extend(entries)
        except Exception as error:  # a bug here must not leave the bridge waiting forever
            delivery.errors.append(f"{self.url}: {type(error).__name__}: {error}")
            done = {entry for entries in (delivery.delivered, delivery.rejected) for entry in entries}
            delivery.failed = [entry for _, entries in delivery.batches for entry in entries if entry not in done]
        finally:
            delivery.seconds = time.perf_counter() - began
            delivery.settled.set()
            delivery.done.set()
