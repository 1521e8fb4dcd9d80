"""Links in messages: only absolute ``http(s)`` URLs reach a chat service; pure, no I/O."""

from __future__ import annotations

import functools
import re
import urllib.parse

_SPACE = re.compile(r"\s")


def http_url(value: object) -> bool:
    """Whether ``value`` is an absolute ``http://`` or ``https://`` URL with a host."""
    return isinstance(value, str) and _http_url(value)


@functools.lru_cache(maxsize=4096)  # every message checks its few links again, the same few each time
def _http_url(value: str) -> bool:
    if not value or _SPACE.search(value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host)


def source_url(source: str, console: str) -> str:
    """Where a monitor's source link points people: itself if absolute, else the console's copy, else ``''``.

    ``links.source`` left at its default gives a path (``evaluator/monitors/zookeeper.py#L17``); the
    web console serves monitor files at ``<console>/source/<path>``, so with ``receiver.console_url``
    set the link still works, and without it the link is left out rather than sent broken.
    """
    if http_url(source):
        return source
    path, _, anchor = source.partition("#")
    path = path.strip().lstrip("/")
    if not console or not path.endswith(".py") or ".." in path.split("/"):
        return ""
    url = f"{console.rstrip('/')}/source/{urllib.parse.quote(path)}" + (f"#{anchor}" if anchor else "")
    return url if http_url(url) else ""
