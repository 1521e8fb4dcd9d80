"""One Alertmanager's alert API: ``POST /api/v2/alerts`` with a timeout, retries and backoff."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import requests

from ._errors import DeliveryError, RejectedError

MAX_BACKOFF = 5.0
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")


class AlertmanagerClient:
    """Posts alerts to the Alertmanager at ``url``.

    Connection errors, timeouts, 5xx and 429 are retried ``retries`` times, waiting ``backoff``
    seconds, then twice that, and so on (at most 5 s); other answers are final. ``stop`` ends
    the waiting early (the bridge is closing).
    """

    def __init__(
        self,
        url: str,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        stop: threading.Event | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/api/v2/alerts"
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.stop = stop if stop is not None else threading.Event()

    def post_alerts(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Send ``alerts`` in one request; ``DeliveryError`` when they did not get there."""
        self.post(json.dumps(alerts, ensure_ascii=False).encode())

    def post(self, body: bytes, on_retry: Callable[[], object] = lambda: None) -> None:
        """Send an encoded JSON array of alerts; ``on_retry`` is called before the first wait."""
        attempt = 0
        while True:
            error = self._attempt(body)
            if error is None:
                return
            if error.status is not None and 400 <= error.status < 500 and error.status not in (408, 429):
                raise error  # the same request would get the same answer
            if attempt >= self.retries:
                if attempt:
                    raise DeliveryError(self.url, f"{_reason(error)} (after {attempt + 1} attempts)", error.status)
                raise error
            if attempt == 0:
                on_retry()
            if self.stop.wait(min(self.backoff * 2**attempt, MAX_BACKOFF)):
                raise error
            attempt += 1

    def _attempt(self, body: bytes) -> DeliveryError | None:
        try:
            response = self.session.post(
                self.endpoint, data=body, headers={"Content-Type": "application/json"}, timeout=self.timeout
            )
        except requests.Timeout:
            return DeliveryError(self.url, f"no answer within {self.timeout:g}s")
        except requests.ConnectionError as exc:
            found = _ERRNO.search(str(exc))
            why = found.group(0).strip() if found else type(exc).__name__
            return DeliveryError(self.url, f"cannot connect ({why}); is Alertmanager running there?")
        except requests.RequestException as exc:
            return DeliveryError(self.url, f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code < 300:
            return None
        answer = " ".join(response.text.split())[:300] or "(empty body)"
        message = f"{response.status_code} {answer}"
        if response.status_code in (400, 422):
            return RejectedError(
                self.url, f"{message}; the alerts are invalid and are not sent again", response.status_code
            )
        return DeliveryError(self.url, message, response.status_code)

    def close(self) -> None:
        self.session.close()


def _reason(error: DeliveryError) -> str:
    return str(error).split(": ", 1)[1]
