"""The ``receiver:`` section of ``khp.yml``, read once into frozen settings; no I/O but the token file.

```yaml
receiver:
  path: /alertmanager                  # default: the path of routing.receiver_url
  token_file: /etc/khp/receiver-token  # or token_env: KHP_RECEIVER_TOKEN; default: routing.credentials_file
  outbox: var/khp-outbox.db            # default: khp-outbox.db beside store.path
  language: ko                         # ko | en
  console_url: https://khp.example.com # links to the web console; empty leaves them out
  alertmanager_url: ""                 # replaces the webhook's externalURL in links, if people can't open that
  summarize_after: 10                  # alerts listed in one message; the rest are counted per check
  duplicate_window: 2h                 # the same status of an alert again to a room within it is a retry,
                                       # left out; later, a repeat_interval reminder. Default: half the
                                       # shortest repeat_interval of routing: and the cluster files
  blind_after: 5m                      # no heartbeat from the evaluator this long: "monitoring is blind"
  delivery: {backoff: 2s, max_backoff: 5m, give_up_after: 24h, lease: 1m, workers: 2}
  channels:                            # options of each channel plugin (rooms name the plugin)
    kakaowork: {app_key_env: KHP_KAKAOWORK_APP_KEY}
  bot: {...}                           # the chat bot's own section, read by kakao_receiver.bot
```

Relative paths are relative to the directory of ``khp.yml``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from khp.configuration import Config, ConfigError, ConfigSection

from ._i18n import DEFAULT_LANGUAGE, LANGUAGES

OUTBOX_NAME = "khp-outbox.db"
_KEYS = (
    "path",
    "token_file",
    "token_env",
    "outbox",
    "language",
    "console_url",
    "alertmanager_url",
    "summarize_after",
    "duplicate_window",
    "blind_after",
    "delivery",
    "channels",
    "bot",
)
_DELIVERY_KEYS = ("backoff", "max_backoff", "give_up_after", "lease", "workers")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DeliverySettings:
    """How the outbox workers retry: waits doubling from ``backoff`` up to ``max_backoff``, without end.

    A message is retried until it is delivered, or until its alert is resolved and the message
    is older than ``give_up_after``. ``lease`` is how long a claimed message is hidden from
    other workers; a worker that dies mid-send gives its messages back after it. It must exceed
    the longest channel timeout.
    """

    backoff: float = 2.0
    max_backoff: float = 300.0
    give_up_after: float = 86400.0
    lease: float = 60.0
    workers: int = 2


@dataclass(frozen=True)
class ReceiverSettings:
    """Everything the receiver app reads from ``receiver:``; the token itself is read by ``read_token``."""

    file: str = ""
    path: str = "/alertmanager"
    token_file: Path | None = None
    token_env: str | None = None
    outbox: Path = Path("var") / OUTBOX_NAME
    language: str = DEFAULT_LANGUAGE
    console_url: str = ""
    alertmanager_url: str = ""
    summarize_after: int = 10
    duplicate_window: float = 7200.0
    blind_after: float = 300.0
    delivery: DeliverySettings = DeliverySettings()
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))


def receiver_settings(config: Config) -> ReceiverSettings:
    """Validate ``config.components['receiver']``; a ``ConfigError`` names the file and the dotted key."""
    section = ConfigSection(config.file, "receiver", dict(config.components.get("receiver") or {}))
    section.only(_KEYS)
    base = Path(config.file).parent if config.file else Path()
    language = section.string("language", DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        raise section.error("language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
    if section.has("token_file") and section.has("token_env"):
        raise section.error("token_env", "set token_file or token_env, not both")
    token_env = section.string("token_env") if section.has("token_env") else None
    if token_env is not None and not _ENV_NAME.match(token_env):
        raise section.error("token_env", f"{token_env!r} is not an environment variable name")
    token_file = None
    if token_env is None:
        token_file = _resolve(base, section.string("token_file", config.routing.credentials_file))
    section.section("bot")  # the chat bot reads it; here it only has to be a mapping
    return ReceiverSettings(
        file=config.file,
        path=_path(section, config),
        token_file=token_file,
        token_env=token_env,
        outbox=_resolve(base, section.string("outbox")) if section.has("outbox") else _default_outbox(config),
        language=language,
        console_url=_url(section, "console_url"),
        alertmanager_url=_url(section, "alertmanager_url"),
        summarize_after=section.integer("summarize_after", ReceiverSettings.summarize_after),
        duplicate_window=_duplicate_window(section, config),
        blind_after=_blind_after(section, config),
        delivery=_delivery(section.section("delivery")),
        channels=_channels(section.section("channels")),
    )


def read_token(settings: ReceiverSettings, environ: Mapping[str, str]) -> str:
    """The bearer token Alertmanager must send, from ``token_env`` or ``token_file`` (surrounding space dropped).

    Alertmanager trims its ``credentials_file`` the same way, so both read one file alike.
    """
    if settings.token_env is not None:
        token = environ.get(settings.token_env, "").strip()
        if not token:
            raise ConfigError(
                settings.file,
                "receiver.token_env",
                f"environment variable {settings.token_env} is empty or not set; put the webhook token there",
            )
        return token
    assert settings.token_file is not None
    try:
        token = settings.token_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            settings.file,
            "receiver.token_file",
            f"cannot read {settings.token_file} ({exc.strerror}); write the token Alertmanager sends "
            "(routing.credentials_file) there, or name an environment variable with token_env",
        ) from None
    if not token:
        raise ConfigError(
            settings.file, "receiver.token_file", f"{settings.token_file} is empty; write the token there"
        )
    return token


def _path(section: ConfigSection, config: Config) -> str:
    default = urllib.parse.urlsplit(config.routing.receiver_url).path or "/alertmanager"
    path = section.string("path", default)
    if not path.startswith("/") or path.rstrip("/") in ("", "/healthz") or any(c.isspace() for c in path):
        raise section.error("path", f"expected a URL path such as /alertmanager (not / or /healthz), got {path!r}")
    return path


def _duplicate_window(section: ConfigSection, config: Config) -> float:
    """Shorter than every ``repeat_interval``: Alertmanager's retries fall in it, its reminders do not."""
    repeats = [config.routing.timings.repeat_interval, *(c.routing.repeat_interval for c in config.clusters.values())]
    shortest = min((r for r in repeats if r), default=ReceiverSettings.duplicate_window * 2)
    window = section.duration("duplicate_window", shortest / 2)
    if window >= shortest:
        raise section.error(
            "duplicate_window", f"must be shorter than the shortest repeat_interval ({shortest:g}s), got {window:g}s"
        )
    return window


def _blind_after(section: ConfigSection, config: Config) -> float:
    """Longer than a heartbeat can take to be heard while the evaluator runs, or it would cry wolf."""
    late = config.alertmanager.resend_interval + config.heartbeat.repeat_interval + config.heartbeat.group_interval
    blind_after = section.duration("blind_after", max(ReceiverSettings.blind_after, 2 * late))
    if blind_after <= late:
        raise section.error(
            "blind_after",
            f"must be longer than alertmanager.resend_interval + heartbeat.repeat_interval +"
            f" heartbeat.group_interval ({late:g}s: how late a heartbeat may be heard while the evaluator runs),"
            f" got {blind_after:g}s",
        )
    return blind_after


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _default_outbox(config: Config) -> Path:
    return config.store.path.parent / OUTBOX_NAME


def _url(section: ConfigSection, name: str) -> str:
    value = section.data.get(name, "")
    if value in ("", None):
        return ""
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value):
        raise section.error(name, f"expected an http:// or https:// URL (or nothing), got {value!r}")
    return value.rstrip("/")


def _delivery(section: ConfigSection) -> DeliverySettings:
    if section.has("attempts"):
        raise section.error(
            "attempts",
            "there is no retry budget any more: a message is retried until delivered, or until its alert is "
            "resolved and older than give_up_after (24h by default); remove attempts",
        )
    section.only(_DELIVERY_KEYS)
    default = DeliverySettings()
    backoff = section.duration("backoff", default.backoff)
    max_backoff = section.duration("max_backoff", default.max_backoff)
    if max_backoff < backoff:
        raise section.error("max_backoff", f"must be at least backoff ({backoff:g}s), got {max_backoff:g}s")
    give_up_after = section.duration("give_up_after", default.give_up_after)
    if give_up_after < max_backoff:
        raise section.error("give_up_after", f"must be at least max_backoff ({max_backoff:g}s), got {give_up_after:g}s")
    return DeliverySettings(
        backoff=backoff,
        max_backoff=max_backoff,
        give_up_after=give_up_after,
        lease=section.duration("lease", default.lease),
        workers=section.integer("workers", default.workers),
    )


def _channels(section: ConfigSection) -> Mapping[str, Mapping[str, Any]]:
    channels = {}
    for name in section.data:
        if not isinstance(name, str) or not _CHANNEL_NAME.match(name):
            raise section.error(
                str(name), "expected a channel plugin name such as kakaowork, kakaotalk, slack, webhook"
            )
        channels[name] = MappingProxyType(dict(section.section(name).data))
    return MappingProxyType(channels)
