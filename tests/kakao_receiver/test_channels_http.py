"""Retry-After as seconds or as an HTTP date, read with an injected clock."""

from __future__ import annotations

import requests

from kakao_receiver.channels._http import retry_after, transient


def answer(**headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after(answer(**{"Retry-After": "7"})) == 7.0
    assert retry_after(answer(**{"retry-after": "1.5"})) == 1.5
    clock = 1795944000.0  # 2026-11-29T09:20:00Z
    assert retry_after(answer(**{"Retry-After": "Sun, 29 Nov 2026 09:20:30 GMT"}), clock=lambda: clock) == 30.0
    assert retry_after(answer(**{"Retry-After": "Sun, 29 Nov 2026 09:19:00 GMT"}), clock=lambda: clock) == 0.0
    assert retry_after(answer()) is None
    assert retry_after(answer(**{"Retry-After": "soon"})) is None


def test_which_statuses_are_worth_retrying() -> None:
    assert [s for s in (200, 400, 401, 404, 408, 425, 429, 500, 503) if transient(s)] == [408, 425, 429, 500, 503]
