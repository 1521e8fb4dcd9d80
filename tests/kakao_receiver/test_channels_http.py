"""Retry-After as seconds or as an HTTP date, read with an injected clock."""

from __future__ import annotations

import pytest
import requests

from kakao_receiver.channels._http import Session, retry_after, transient


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


def test_a_channel_session_reads_the_proxy_environment_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = Session()
    via_proxy = session.merge_environment_settings("https://api.kakaowork.com/v1/messages.send", {}, None, None, None)
    assert via_proxy["proxies"]["https"] == "http://proxy.example:3128"
    assert (
        "https"
        not in session.merge_environment_settings("https://bypassed.example/hook", {}, None, None, None)["proxies"]
    )
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:3128")  # a running receiver keeps what it read
    again = session.merge_environment_settings("https://api.kakaowork.com/v1/messages.send", {}, None, None, None)
    assert again["proxies"]["https"] == "http://proxy.example:3128"
    again["proxies"]["https"] = "changed by requests"  # each request gets its own copy
    assert (
        session.merge_environment_settings("https://api.kakaowork.com/x", {}, None, None, None)["proxies"]["https"]
        == "http://proxy.example:3128"
    )
    explicit = session.merge_environment_settings(
        "https://api.kakaowork.com/x", {"https": "http://p:1"}, None, None, None
    )
    assert explicit["proxies"]["https"] == "http://p:1"  # settings given with a request win, as in requests
    assert (
        requests.Session().merge_environment_settings("https://api.kakaowork.com/x", {}, None, None, None)["proxies"][
            "https"
        ]
        == "http://other.example:3128"
    )


def test_kakaowork_sends_through_such_a_session() -> None:
    from kakao_receiver.channels.kakaowork import KakaoWorkChannel

    channel = KakaoWorkChannel(environ={"KHP_KAKAOWORK_APP_KEY": "key"})
    assert isinstance(channel.session, Session)
