"""The Kakao stand-in checks requests as the reference says and answers in the services' shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.standins.kakao import KakaoStandIn, block_kit_problem, text_template_problem


@pytest.fixture
def kakao() -> Iterator[KakaoStandIn]:
    with KakaoStandIn() as server:
        yield server


def send(kakao: KakaoStandIn, body: Any, key: str = "kw-app-key", **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.post(f"{kakao.url}/v1/messages.send", json=body, headers=headers, timeout=5, **kwargs)


def message(*blocks: dict[str, Any], text: str = "preview") -> dict[str, Any]:
    return {"conversation_id": "12345", "text": text, "blocks": list(blocks)}


def error_code(response: requests.Response) -> str:
    body = response.json()
    assert body["success"] is False
    return str(body["error"]["code"])


def test_kakaowork_accepts_a_valid_message(kakao: KakaoStandIn) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": "심각 · alpha", "style": "red"},
        {"type": "text", "text": "본문", "markdown": False},
        {"type": "description", "term": "클러스터", "content": {"type": "text", "text": "alpha"}, "accent": True},
        {"type": "divider"},
        {
            "type": "action",
            "elements": [
                {"type": "button", "text": "1시간 끄기", "style": "default", "action_type": "submit_action",
                 "action_name": "mute", "value": "check=x;cluster=alpha;level=off;minutes=60"},
                {"type": "button", "text": "기간 지정…", "style": "primary", "action_type": "call_modal",
                 "value": "check=x;cluster=alpha"},
                {"type": "button", "text": "콘솔", "style": "danger", "action_type": "open_system_browser",
                 "value": "https://khp.example.com"},
            ],
        },
    ]  # fmt: skip

    response = send(kakao, message(*blocks))

    assert response.status_code == 200
    assert response.json()["success"] is True and response.json()["message"]["conversation_id"] == "12345"
    assert kakao.messages == [message(*blocks)]
    assert kakao.rejections == []


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"type": "header", "text": "x" * 21, "style": "red"}, "text has 21 characters, at most 20"),
        ({"type": "header", "text": "x", "style": "green"}, "style must be one of blue, red, yellow"),
        ({"type": "text", "text": "x" * 501}, "text has 501 characters, at most 500"),
        ({"type": "text", "text": ""}, "text must be a non-empty string"),
        ({"type": "text", "text": "x", "markdown": "yes"}, "markdown must be true or false"),
        ({"type": "description", "term": "x" * 11, "content": {"type": "text", "text": "x"}}, "at most 10"),
        ({"type": "description", "term": "x", "content": "x"}, "content must be a text block"),
        ({"type": "button", "text": "x" * 21, "style": "default"}, "at most 20"),
        ({"type": "button", "text": "x", "style": "blue"}, "style must be one of default, primary, danger"),
        ({"type": "button", "text": "x", "style": "default", "action_type": "jump"}, "action_type must be one of"),
        ({"type": "button", "text": "x", "style": "default", "action_type": "submit_action", "value": "v"},
         "action_name must be a non-empty string"),
        ({"type": "button", "text": "x", "style": "default", "action_type": "open_system_browser", "value": "ftp://x"},
         "must be an http(s) URL"),
        ({"type": "action", "elements": [{"type": "button", "text": "b", "style": "default"}] * 4},
         "must hold 1 to 3 buttons"),
        ({"type": "action", "elements": [{"type": "text", "text": "x"}]}, "must be a button"),
        ({"type": "context", "content": {"type": "text", "text": "x"}}, "image must be a image_link block"),
        ({"type": "carousel"}, "'carousel' is not a Block Kit block"),
    ],
)  # fmt: skip
def test_kakaowork_refuses_blocks_over_the_limits(kakao: KakaoStandIn, block: dict[str, Any], problem: str) -> None:
    response = send(kakao, message(block))

    assert (response.status_code, error_code(response)) == (400, "invalid_blocks")
    assert problem in response.json()["error"]["message"]
    assert problem in kakao.rejections[-1][1]
    assert block_kit_problem([block]) is not None


def test_kakaowork_refuses_more_blocks_than_allowed(kakao: KakaoStandIn) -> None:
    response = send(kakao, message(*[{"type": "divider"}] * 51))

    assert error_code(response) == "invalid_blocks"
    assert "51 blocks, at most 50" in response.json()["error"]["message"]


def test_kakaowork_checks_the_request_itself(kakao: KakaoStandIn) -> None:
    anonymous = send(kakao, message(), key="")
    assert (anonymous.status_code, error_code(anonymous)) == (401, "invalid_authentication")
    assert error_code(send(kakao, message(), key="other")) == "invalid_authentication"
    assert error_code(send(kakao, {**message(), "conversation_id": "999"})) == "conversation_not_found"
    assert error_code(send(kakao, {"text": "x"})) == "invalid_parameter"
    assert error_code(send(kakao, message(text=""))) == "invalid_parameter"
    assert error_code(send(kakao, message(text="x" * 501))) == "text_too_long"
    form = requests.post(
        f"{kakao.url}/v1/messages.send",
        data={"conversation_id": "12345", "text": "x"},
        headers={"Authorization": "Bearer kw-app-key"},
        timeout=5,
    )
    assert error_code(form) == "invalid_parameter"
    assert len(kakao.rejections) == 7 and kakao.messages == []


def test_kakaowork_opens_conversations(kakao: KakaoStandIn) -> None:
    response = requests.post(
        f"{kakao.url}/v1/conversations.open",
        json={"user_ids": [1, 2], "conversation_name": "khp"},
        headers={"Authorization": "Bearer kw-app-key"},
        timeout=5,
    )

    conversation = response.json()["conversation"]
    assert conversation["type"] == "group" and conversation["id"] in kakao.conversations
    assert send(kakao, {**message(), "conversation_id": conversation["id"]}).json()["success"] is True


def test_kakaowork_switches(kakao: KakaoStandIn) -> None:
    kakao.rate_limit("kakaowork", retry_after=9)
    limited = send(kakao, message())
    assert (limited.status_code, limited.headers["Retry-After"], error_code(limited)) == (429, "9", "too_many_requests")

    kakao.errors_with_status_200 = True
    kakao.error_next("kakaowork", "conversation_not_found")
    quiet = send(kakao, message())
    assert (quiet.status_code, error_code(quiet)) == (200, "conversation_not_found")

    kakao.fail_next("kakaowork", 503)
    assert send(kakao, message()).status_code == 503

    kakao.hang("kakaowork")
    with pytest.raises(requests.Timeout):
        requests.post(f"{kakao.url}/v1/messages.send", json=message(), timeout=0.3)
    kakao.release()
    assert send(kakao, message()).json()["success"] is True
    assert [r.status for r in kakao.requests] == [429, 200, 503, 0, 200]


def memo(kakao: KakaoStandIn, template: Any, token: str = "talk-access-1", as_json: bool = False) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{kakao.url}/v2/api/talk/memo/default/send"
    if as_json:
        return requests.post(url, json={"template_object": template}, headers=headers, timeout=5)
    return requests.post(url, data={"template_object": json.dumps(template)}, headers=headers, timeout=5)


TEMPLATE = {"object_type": "text", "text": "[심각] alpha", "link": {"web_url": "https://khp.example.com"}}


def test_kakaotalk_memo_checks_token_form_and_template(kakao: KakaoStandIn) -> None:
    assert memo(kakao, TEMPLATE).json() == {"result_code": 0}
    assert kakao.memos == [{"token": "talk-access-1", "template": TEMPLATE}]

    unknown = memo(kakao, TEMPLATE, token="nope")
    assert (unknown.status_code, unknown.json()) == (401, {"msg": "this access token does not exist", "code": -401})
    assert memo(kakao, TEMPLATE, as_json=True).json()["code"] == -2
    assert memo(kakao, {**TEMPLATE, "text": "x" * 201}).json()["code"] == -2
    assert memo(kakao, {**TEMPLATE, "object_type": "feed"}).json()["code"] == -2
    assert memo(kakao, {"object_type": "text", "text": "x"}).json()["code"] == -2

    kakao.expire_access_token()
    expired = memo(kakao, TEMPLATE)
    assert (expired.status_code, expired.json()["msg"]) == (401, "this access token is already expired")


def test_text_template_limits() -> None:
    assert text_template_problem(TEMPLATE) is None
    assert "at most 200" in str(text_template_problem({**TEMPLATE, "text": "가" * 201}))
    assert "at most 2" in str(text_template_problem({**TEMPLATE, "buttons": [{}, {}, {}]}))


def refresh(kakao: KakaoStandIn, **form: str) -> requests.Response:
    data = {"grant_type": "refresh_token", "client_id": "talk-client-id", "refresh_token": "talk-refresh-1", **form}
    return requests.post(f"{kakao.url}/oauth/token", data=data, timeout=5)


def test_oauth_refresh_issues_tokens_and_rotates_when_asked(kakao: KakaoStandIn) -> None:
    first = refresh(kakao).json()
    assert first["token_type"] == "bearer" and first["expires_in"] == 43199 and "refresh_token" not in first
    assert memo(kakao, TEMPLATE, token=first["access_token"]).json() == {"result_code": 0}

    kakao.rotate_refresh_token = True
    second = refresh(kakao).json()
    assert second["refresh_token"] == kakao.refresh_token != "talk-refresh-1"
    old = refresh(kakao)
    assert (old.status_code, old.json()["error"], old.json()["error_code"]) == (400, "invalid_grant", "KOE322")


def test_oauth_checks_grant_and_client(kakao: KakaoStandIn) -> None:
    assert refresh(kakao, grant_type="authorization_code").json()["error"] == "unsupported_grant_type"
    wrong_client = refresh(kakao, client_id="other")
    assert (wrong_client.status_code, wrong_client.json()["error"]) == (401, "invalid_client")
    kakao.revoke_refresh_token()
    assert refresh(kakao).json()["error"] == "invalid_grant"


def test_slack_hook_checks(kakao: KakaoStandIn) -> None:
    ok = requests.post(kakao.slack_url(), json={"text": "hi"}, timeout=5)
    assert (ok.status_code, ok.text) == (200, "ok")
    assert requests.post(kakao.slack_url("nope"), json={"text": "hi"}, timeout=5).text == "no_service"
    assert requests.post(kakao.slack_url(), json={}, timeout=5).text == "no_text"
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    assert requests.post(kakao.slack_url(), json={"blocks": [header]}, timeout=5).text == "invalid_blocks"


def test_the_environ_holds_the_stand_ins_credentials(kakao: KakaoStandIn) -> None:
    assert kakao.environ == {
        "KHP_KAKAOWORK_APP_KEY": "kw-app-key",
        "KHP_KAKAOTALK_CLIENT_ID": "talk-client-id",
        "KHP_KAKAOTALK_REFRESH_TOKEN": "talk-refresh-1",
        "KHP_KAKAOTALK_ACCESS_TOKEN": "talk-access-1",
    }


def test_unknown_api_names_are_refused(kakao: KakaoStandIn) -> None:
    with pytest.raises(ValueError, match="kakaowork, kakaotalk, oauth, slack, webhook"):
        kakao.hang("kakao")
