"""Reading a channel's options (a mapping from the config) once, at start, with errors that name the key."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from khp.configuration._reader import note_key

from ._errors import ChannelConfigError

TARGET = "{target}"


class Options:
    """The options of channel ``channel``; keys outside ``allowed`` are an error that lists them."""

    def __init__(self, channel: str, options: Mapping[str, Any] | None, allowed: Iterable[str]) -> None:
        self.channel = channel
        self.values = dict(options or {})
        allowed = sorted(allowed)
        for key in allowed:
            self._note(key)
        unknown = sorted(set(self.values) - set(allowed))
        if unknown:
            raise ChannelConfigError(
                f"channel {channel!r}: unknown option {', '.join(map(repr, unknown))}; "
                f"the options are {', '.join(allowed) or '(none)'}"
            )

    def _note(self, key: str, kind: str = "", default: Any = None) -> None:
        note_key("", f"receiver.channels.{self.channel}.{key}", kind, default, kind != "")

    def error(self, key: str, what: str) -> ChannelConfigError:
        return ChannelConfigError(f"channel {self.channel!r} option {key!r}: {what}")

    def text(self, key: str, default: str) -> str:
        self._note(key, "string", default)
        value = self.values.get(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {value!r}")
        return value

    def url(self, key: str, default: str) -> str:
        self._note(key, "http(s) URL", default)
        value = self.text(key, default).rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise self.error(key, f"must be an http:// or https:// URL, got {value!r}")
        return value

    def number(self, key: str, default: float) -> float:
        self._note(key, "seconds, above 0", default)
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.error(key, f"must be a number above 0 (seconds), got {value!r}")
        return float(value)

    def integer(self, key: str, default: int, minimum: int = 1) -> int:
        self._note(key, f"whole number, {minimum} or more", default)
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"must be a whole number, at least {minimum}, got {value!r}")
        return value

    def strings(self, key: str) -> dict[str, str]:
        self._note(key, "mapping of strings", {})
        value = self.values.get(key, {})
        pairs = value.items() if isinstance(value, Mapping) else ()
        strings = isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)
        if not strings:
            raise self.error(key, f"must be a mapping of strings, got {value!r}")
        return dict(value)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        self._note(key, f"one of {', '.join(allowed)}", default)
        value = self.text(key, default)
        if value not in allowed:
            raise self.error(key, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value


def env_name(template: str, target: str) -> str:
    """The environment variable ``template`` names for ``target``: ``{target}`` becomes ``ONCALL`` for ``oncall``."""
    return template.replace(TARGET, re.sub(r"[^A-Za-z0-9]", "_", target).upper())


def per_target(template: str) -> bool:
    return TARGET in template
