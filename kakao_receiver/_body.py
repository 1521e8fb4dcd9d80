"""Reading a JSON request body from the open network: bounded in size and in nesting.

``read_json(request, limit)`` reads at most ``limit`` bytes, whether the body announces its
length or comes chunked, and decodes it; anything else is a ``BodyError`` with the HTTP status
to answer: 413 for a body over the limit (never reading more than the limit), 400 for one that
is not JSON or is nested deeper than ``MAX_DEPTH`` (instead of a ``RecursionError``, a 500).
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request

MAX_DEPTH = 64
"""Arrays and objects nested in one another; Alertmanager's webhook and Kakao's bodies need 5 or 6."""


class BodyError(Exception):
    """A body that is refused, with the ``status`` to answer (400, 408 or 413) and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def read_body(request: Request, limit: int) -> bytes:
    """At most ``limit`` bytes of the body; ``BodyError`` 413 beyond it, 408 if the client stops sending."""
    announced = request.content_length
    if announced is not None and announced > limit:
        raise BodyError(413, f"body of {announced} bytes is over the limit of {limit}")
    try:
        data = request.stream.read(limit + 1)
    except RequestEntityTooLarge:
        raise BodyError(413, f"body is over the limit of {limit} bytes") from None
    except (ClientDisconnected, OSError) as exc:  # TimeoutError: the client stopped sending
        raise BodyError(408, f"the body did not arrive whole ({type(exc).__name__})") from None
    if len(data) > limit:
        raise BodyError(413, f"body is over the limit of {limit} bytes")
    return data


def read_json(request: Request, limit: int, depth: int = MAX_DEPTH) -> Any:
    """The decoded JSON body within ``limit`` bytes and ``depth`` levels of nesting; ``BodyError`` otherwise."""
    data = read_body(request, limit)
    try:
        value = json.loads(data)
    except RecursionError:
        raise BodyError(400, f"body is nested deeper than {depth} levels") from None
    except ValueError as exc:
        raise BodyError(400, f"body is not JSON: {exc}") from None
    if nesting(value, depth) > depth:
        raise BodyError(400, f"body is nested deeper than {depth} levels")
    return value


def nesting(value: Any, stop: int = MAX_DEPTH) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), counting no further than ``stop + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > stop:
            return deepest
        stack.extend((child, level) for child in children if isinstance(child, (dict, list)))
    return deepest
