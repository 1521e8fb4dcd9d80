"""Posting to a chat service and turning its failures into ``DeliveryError`` (retry or not)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from .._channel import DeliveryError


class Session(requests.Session):
    """A ``requests.Session`` that reads the environment's proxy and CA settings once per host.

    requests reads them again at every request (``HTTPS_PROXY``, ``NO_PROXY``,
    ``REQUESTS_CA_BUNDLE``: a scan of the whole environment each time), which was a fifth of the
    receiver's time per message sent. A running receiver's environment does not change: set
    them before it starts (a restart picks up new ones). Settings passed with a request are
    merged as requests does.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str], Any] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        where = urlsplit(str(url))
        key = (where.scheme, where.netloc)
        settings = self._environment.get(key)
        if settings is None:
            settings = self._environment[key] = super().merge_environment_settings(url, {}, None, None, None)
        return {**settings, "proxies": dict(settings["proxies"])}


def post(session: requests.Session, url: str, *, timeout: float, what: str, **kwargs: Any) -> requests.Response:
    """``session.post``; no answer in ``timeout`` seconds or no connection is a retryable ``DeliveryError``."""
    try:
        return session.post(url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise DeliveryError(f"{what}: no answer within {timeout:g}s; will retry") from None
    except requests.ConnectionError as exc:
        raise DeliveryError(f"{what}: cannot connect ({_reason(exc)}); will retry") from None
    except requests.RequestException as exc:
        raise DeliveryError(f"{what}: {exc}", permanent=True) from None


def retry_after(response: requests.Response, clock: Callable[[], float] = time.time) -> float | None:
    """The ``Retry-After`` header in seconds (it may be a number or an HTTP date), or ``None``."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - clock())


def json_body(response: requests.Response) -> Any:
    """The decoded JSON answer, or ``None`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def transient(status: int) -> bool:
    """Statuses after which the same request may well succeed later."""
    return status >= 500 or status in (408, 425, 429)


def excerpt(response: requests.Response, size: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text if len(text) <= size else text[:size] + "…"


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"
