"""The ``console:`` section of ``khp.yml``, read once into frozen settings; no I/O but the environment.

```yaml
console:
  listen: 127.0.0.1:8081              # where `khp console` serves (gunicorn)
  workers: 2                          # gunicorn worker processes
  users:                              # log-in users; hashes from werkzeug.security.generate_password_hash
    kim: {password_hash: "scrypt:32768:8:1$...$..."}
  trusted_header: X-Forwarded-User    # the user name a trusted reverse proxy sets (optional); only
                                      # with listen on loopback, or with trusted_proxies
  trusted_proxies: [10.0.0.7]         # addresses (or networks) of the proxies whose header is believed
  secret_key_env: KHP_CONSOLE_SECRET  # environment variable holding the session-signing key
  secure_cookie: false                # true when served over HTTPS: the session cookie is sent over HTTPS only
  session_lifetime: 12h               # how long a log-in lasts
  alertmanager_config: deploy/alertmanager.yml  # the file every Alertmanager reads: room edits re-render it
```

At least one of ``users`` and ``trusted_header`` is needed, else nobody could log in.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from khp.configuration import Config, ConfigError, ConfigSection

_KEYS = (
    "listen",
    "workers",
    "users",
    "trusted_header",
    "trusted_proxies",
    "secret_key_env",
    "secure_cookie",
    "session_lifetime",
    "alertmanager_config",
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
_USER = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
# werkzeug's format: method$salt$hash, e.g. scrypt:32768:8:1$salt$hex or pbkdf2:sha256:600000$salt$hex
_HASH = re.compile(r"^(scrypt|pbkdf2)(:[A-Za-z0-9]+)*\$[^$]+\$[0-9a-f]+$")
HASH_HINT = (
    "make one with: .venv/bin/python -c 'import getpass, werkzeug.security as s;"
    " print(s.generate_password_hash(getpass.getpass()))'"
)
MIN_SECRET = 16


@dataclass(frozen=True)
class ConsoleSettings:
    """Everything the console reads from ``console:``; the secret itself is read by ``secret_key``."""

    file: str = ""
    listen: str = "127.0.0.1:8081"
    workers: int = 2
    users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # name -> password hash
    trusted_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    secret_key_env: str = "KHP_CONSOLE_SECRET"
    secure_cookie: bool = False
    session_lifetime: float = 12 * 3600.0
    alertmanager_config: Path | None = None  # where a room edit writes the re-rendered alertmanager.yml


def console_settings(config: Config) -> ConsoleSettings:
    """Validate ``config.components['console']``; a ``ConfigError`` names the file and the dotted key."""
    section = ConfigSection(config.file, "console", dict(config.components.get("console") or {}))
    section.only(_KEYS)
    listen = section.string("listen", ConsoleSettings.listen)
    if not _is_listen(listen):
        raise section.error("listen", f"expected 'host:port' like '127.0.0.1:8081', got {listen!r}")
    users = _users(section.section("users"))
    header = None
    if section.has("trusted_header"):
        header = section.string("trusted_header")
        if not _HEADER.match(header):
            raise section.error("trusted_header", f"{header!r} is not an HTTP header name (letters, digits, -)")
    if not users and header is None:
        raise section.error(
            "users", "no user can log in: list users with a password_hash, or set trusted_header behind a proxy"
        )
    proxies = tuple(section.strings("trusted_proxies")) if section.has("trusted_proxies") else ()
    for index, proxy in enumerate(proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise section.error(f"trusted_proxies[{index}]", f"{proxy!r} is not an IP address or network") from None
    problem = trusted_header_problem(header, proxies, listen)
    if problem:
        raise section.error("trusted_header", problem)
    env = section.string("secret_key_env", ConsoleSettings.secret_key_env)
    if not _ENV_NAME.match(env):
        raise section.error("secret_key_env", f"{env!r} is not an environment variable name")
    return ConsoleSettings(
        file=config.file,
        listen=listen,
        workers=section.integer("workers", ConsoleSettings.workers),
        users=MappingProxyType(users),
        trusted_header=header,
        trusted_proxies=proxies,
        secret_key_env=env,
        secure_cookie=section.boolean("secure_cookie", ConsoleSettings.secure_cookie),
        session_lifetime=section.duration("session_lifetime", ConsoleSettings.session_lifetime),
        alertmanager_config=_alertmanager_config(section, config.file),
    )


def trusted_header_problem(header: str | None, proxies: tuple[str, ...], listen: str) -> str:
    """Why the trusted header may not be used when serving on ``listen``, or ``''``.

    Anyone who reaches the console directly could set the header and be whoever they say, so it
    is believed only when the console listens on loopback (the proxy is on the same host) or
    only from the proxies listed in ``trusted_proxies``.
    """
    if header is None or proxies or _loopback(listen):
        return ""
    return (
        f"refused: the console listens on {listen}, where anyone could send {header}; listen on 127.0.0.1 "
        "behind the proxy, or list the proxy's address in console.trusted_proxies"
    )


def _loopback(listen: str) -> bool:
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _alertmanager_config(section: ConfigSection, file: str) -> Path | None:
    if not section.has("alertmanager_config"):
        return None
    path = Path(section.string("alertmanager_config")).expanduser()
    if not path.is_absolute():
        path = Path(file).resolve().parent / path
    if not path.parent.is_dir():
        raise section.error("alertmanager_config", f"{path.parent} is not a directory")
    return path


def secret_key(settings: ConsoleSettings, environ: Mapping[str, str]) -> str:
    """The key that signs session cookies, from ``secret_key_env``; every gunicorn worker must share it."""
    value = environ.get(settings.secret_key_env, "").strip()
    if len(value) < MIN_SECRET:
        problem = "is not set" if not value else f"is shorter than {MIN_SECRET} characters"
        raise ConfigError(
            settings.file,
            "console.secret_key_env",
            f"environment variable {settings.secret_key_env} {problem}; set it to a long random string, e.g."
            " python3 -c 'import secrets; print(secrets.token_hex(32))'",
        )
    return value


def _users(section: ConfigSection) -> dict[str, str]:
    users = {}
    for name in section.data:
        if not isinstance(name, str) or not _USER.match(name):
            raise section.error(str(name), "a user name is 1 to 64 letters, digits, '.', '_', '@' or '-'")
        entry = section.section(name)
        entry.only(("password_hash",))
        hashed = entry.string("password_hash")
        if not _HASH.match(hashed):
            raise entry.error("password_hash", f"not a werkzeug password hash (method$salt$hash); {HASH_HINT}")
        users[name] = hashed
    return users


def _is_listen(text: str) -> bool:
    host, _, port = text.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536
