"""Bodies from the open network: the size limit (announced or chunked), nesting, and the worker's framing."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from kakao_receiver._body import BodyError, nesting, read_json
from kakao_receiver._worker import MORE, READY, Refusal, request_state


def request(data: bytes, chunked: bool = False) -> Request:
    builder = EnvironBuilder(method="POST", data=data, content_type="application/json")
    environ = builder.get_environ()
    if chunked:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
        environ["wsgi.input"] = io.BytesIO(data)
    return Request(environ)


def test_a_body_within_the_limit_is_read() -> None:
    assert read_json(request(b'{"a": [1, 2]}'), 100) == {"a": [1, 2]}
    assert read_json(request(b'{"a": [1, 2]}', chunked=True), 100) == {"a": [1, 2]}


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_413_and_not_read_beyond_it(chunked: bool) -> None:
    data = json.dumps({"x": "y" * 5000}).encode()
    stream = request(data, chunked)
    with pytest.raises(BodyError) as caught:
        read_json(stream, 1000)
    assert caught.value.status == 413
    if chunked:
        assert stream.environ["wsgi.input"].tell() <= 1001


@pytest.mark.parametrize("depth", [65, 100_000])
def test_nesting_too_deep_is_400_not_a_500(depth: int) -> None:
    with pytest.raises(BodyError) as caught:
        read_json(request(b"[" * depth + b"]" * depth), 16 * 1024 * 1024)
    assert (caught.value.status, caught.value.reason) == (400, "body is nested deeper than 64 levels")


def test_not_json_is_400() -> None:
    with pytest.raises(BodyError, match="not JSON") as caught:
        read_json(request(b"{oops"), 100)
    assert caught.value.status == 400


def test_nesting_counts_arrays_and_objects() -> None:
    assert (nesting(1), nesting([]), nesting({"a": [{"b": 1}]}), nesting([[[[]]]], stop=2)) == (0, 1, 3, 3)


HEAD = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\n"


def test_the_worker_hands_on_a_request_only_once_it_is_whole() -> None:
    assert request_state(HEAD, 100) == MORE
    assert request_state(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 100) == READY
    assert request_state(HEAD + b"Content-Length: 5\r\n\r\nabc", 100) == MORE
    assert request_state(HEAD + b"Content-Length: 5\r\n\r\nabcde", 100) == READY
    assert request_state(HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 100) == MORE
    assert request_state(HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 100) == READY
    assert request_state(HEAD + b"Content-Length: x\r\n\r\n", 100) == READY  # gunicorn answers it 400
    assert request_state(HEAD + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", 100) == "expect"


def test_the_worker_refuses_what_is_over_a_limit_as_soon_as_it_shows() -> None:
    assert request_state(HEAD + b"Content-Length: 101\r\n\r\n", 100) == Refusal(
        413, "body of 101 bytes is over the limit of 100"
    )
    chunks = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"40\r\n" + b"x" * 64 + b"\r\n" + b"40\r\n"
    assert request_state(chunks, 100) == Refusal(413, "chunked body over the limit of 100 bytes")
    assert request_state(b"POST / HTTP/1.1\r\nX: " + b"y" * 70000, 100) == Refusal(
        431, "request headers over 65536 bytes"
    )
    endless = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 1024
    assert request_state(endless, 10**6) == Refusal(400, "a chunk size line never ends")
    assert request_state(endless[:-1], 10**6) == MORE
