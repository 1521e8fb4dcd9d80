"""Who is asking, and whether a form really came from the console.

A user is the value of ``console.trusted_header`` when the reverse proxy in front sets it, else
the name logged in with a password from ``console.users`` (werkzeug hashes). Every POST must
carry the session's CSRF token in the field ``csrf_token``; one that does not is refused with
400 and a log line. Sessions are Flask's signed cookies, keyed by ``console.secret_key_env``,
so every gunicorn worker accepts every other worker's sessions.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets

from flask import abort, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from ._settings import ConsoleSettings

log = logging.getLogger("console")

CSRF_FIELD = "csrf_token"
# checked when the user name is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """Abort with 400 unless the POST carries the session's token."""
    expected = session.get("csrf")
    sent = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        why = "missing" if not sent else "wrong"
        log.warning(
            "refused POST %s from %s: CSRF token %s (user %s)",
            request.path, request.remote_addr, why, session.get("user") or "-",
        )  # fmt: skip
        abort(400, description="This form has expired or did not come from this console; reload the page and retry.")


def current_user(settings: ConsoleSettings) -> str | None:
    """The proxy's user if a trusted header is configured and set, else the logged-in user (if still listed)."""
    if settings.trusted_header and _from_trusted_proxy(settings):
        proxied = request.headers.get(settings.trusted_header, "").strip()
        if proxied:
            return proxied
    name = session.get("user")
    if isinstance(name, str) and name in settings.users:
        return name
    return None


def _from_trusted_proxy(settings: ConsoleSettings) -> bool:
    """The request comes from a proxy listed in ``trusted_proxies`` (any peer when none are listed:
    the console then listens on loopback only, which ``console_settings`` makes sure of)."""
    if not settings.trusted_proxies:
        return True
    try:
        peer = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(proxy, strict=False) for proxy in settings.trusted_proxies)


def check_password(settings: ConsoleSettings, name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s; unknown names cost as much time as known ones."""
    hashed = settings.users.get(name)
    ok = check_password_hash(hashed or _DUMMY_HASH, password)
    return ok and hashed is not None


def log_in(name: str) -> None:
    """Start a fresh session for ``name`` (a new CSRF token too)."""
    session.clear()
    session.permanent = True
    session["user"] = name
    csrf_token()


def log_out() -> None:
    session.clear()
