"""Alertmanager's silences API (v2) over HTTP, with errors mapped to ``SilenceError``.

The configured Alertmanagers form one HA cluster and replicate silences among themselves by
gossip. So a silence is written to the **first** that answers (in the configured order), not
to all of them: writing it to each would create one copy per server. Reads, too, go to the first
that answers. A server that refuses the connection, times out or answers 5xx is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from ._errors import AlertmanagerUnavailable, InvalidSilence, SilenceError, SilenceNotFound


class AlertmanagerClient:
    """The silences of the Alertmanagers at ``urls``; ``session`` is injectable for tests."""

    def __init__(self, urls: Sequence[str], timeout: float = 10.0, session: requests.Session | None = None) -> None:
        if not urls:
            raise AlertmanagerUnavailable("no Alertmanager configured; list one under alertmanager.urls")
        self.urls = tuple(url.rstrip("/") for url in urls)
        self.timeout = timeout
        self._session = session or requests.Session()

    def post(self, body: Mapping[str, Any]) -> str:
        """Create (or, with ``id`` in ``body``, update) a silence; its ID, which may be a new one."""
        failures: list[str] = []
        missing = False
        for url, response in self._responses("POST", "/api/v2/silences", failures, json=dict(body)):
            if response.status_code == 200:
                answer = _json(response)
                if isinstance(answer, dict) and answer.get("silenceID"):
                    return str(answer["silenceID"])
                failures.append(f"{url} (answered 200 without a silenceID: {_text(response)})")
                continue
            if response.status_code == 404 and body.get("id"):
                missing = True  # gossip may not have brought it here yet: ask the next one
                continue
            raise InvalidSilence(
                f"Alertmanager at {url} refused the silence (HTTP {response.status_code}): {_message(response)}"
            )
        if missing and not failures:
            raise SilenceNotFound(f"no Alertmanager knows silence {body.get('id')}; list the silences to find it")
        raise _unavailable(failures)

    def silences(self, **labels: str) -> list[dict[str, Any]]:
        """Every silence (any state) with an equal matcher for each of ``labels``."""
        params = [("filter", f'{name}="{_quote(value)}"') for name, value in sorted(labels.items())]
        failures: list[str] = []
        for url, response in self._responses("GET", "/api/v2/silences", failures, params=params):
            answer = _json(response)
            if response.status_code == 200 and isinstance(answer, list):
                return answer
            raise SilenceError(
                f"Alertmanager at {url} could not list silences (HTTP {response.status_code}): {_message(response)}"
            )
        raise _unavailable(failures)

    def silence(self, silence_id: str) -> dict[str, Any] | None:
        """One silence by ID, or None when no answering Alertmanager knows it."""
        failures: list[str] = []
        answered = False
        for url, response in self._responses("GET", f"/api/v2/silence/{silence_id}", failures):
            answered = True
            if response.status_code == 200:
                answer = _json(response)
                if isinstance(answer, dict):
                    return answer
            if response.status_code == 404:
                continue
            _refuse_id(url, silence_id, response)
        if answered:
            return None
        raise _unavailable(failures)

    def expire(self, silence_id: str) -> None:
        """End a silence now; ending an expired one is fine. ``SilenceNotFound`` if nobody knows it."""
        failures: list[str] = []
        answered = False
        for url, response in self._responses("DELETE", f"/api/v2/silence/{silence_id}", failures):
            answered = True
            if response.status_code == 200:
                return
            if _not_found(response):
                continue
            _refuse_id(url, silence_id, response)
        if answered:
            raise SilenceNotFound(f"no Alertmanager knows silence {silence_id}; list the silences to find it")
        raise _unavailable(failures)

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts Alertmanager holds now (active, silenced and inhibited)."""
        failures: list[str] = []
        for url, response in self._responses("GET", "/api/v2/alerts", failures):
            answer = _json(response)
            if response.status_code == 200 and isinstance(answer, list):
                return answer
            raise SilenceError(
                f"Alertmanager at {url} could not list alerts (HTTP {response.status_code}): {_message(response)}"
            )
        raise _unavailable(failures)

    def _responses(
        self, method: str, path: str, failures: list[str], **options: Any
    ) -> Iterator[tuple[str, requests.Response]]:
        """The answer of each Alertmanager in turn, skipping (and noting in ``failures``) the unavailable."""
        for url in self.urls:
            try:
                response = self._session.request(method, url + path, timeout=self.timeout, **options)
            except requests.Timeout:
                failures.append(f"{url} (no answer within {self.timeout:g}s)")
                continue
            except requests.ConnectionError:
                failures.append(f"{url} (cannot connect)")
                continue
            except requests.RequestException as exc:
                failures.append(f"{url} ({exc})")
                continue
            if response.status_code >= 500 and not _not_found(response):
                failures.append(f"{url} (HTTP {response.status_code}: {_message(response)})")
                continue
            yield url, response


def _unavailable(failures: list[str]) -> AlertmanagerUnavailable:
    return AlertmanagerUnavailable(
        f"no Alertmanager answered: {'; '.join(failures)}; start one, or correct alertmanager.urls in the configuration"
    )


def _refuse_id(url: str, silence_id: str, response: requests.Response) -> None:
    if response.status_code == 422:
        raise InvalidSilence(f"{silence_id!r} is not a silence ID: {_message(response)}")
    raise SilenceError(f"Alertmanager at {url} answered HTTP {response.status_code}: {_message(response)}")


def _not_found(response: requests.Response) -> bool:
    # DELETE of an unknown ID is a 500 "silence not found" in Alertmanager 0.25.
    return response.status_code in (404, 500) and "not found" in _text(response).lower()


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _text(response: requests.Response) -> str:
    return response.text.strip()[:300]


def _message(response: requests.Response) -> str:
    answer = _json(response)
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"])
    if isinstance(answer, str):
        return answer
    return _text(response) or "(empty answer)"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
