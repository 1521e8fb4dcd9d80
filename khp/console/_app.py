"""The console's Flask app: settings, log-in and CSRF around the views of ``_views``."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask, Response, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from evaluator import MonitorLoadError
from khp.configuration import Config, ConfigError, LiveConfig, load_config
from khp.history import History, open_history
from khp.silences import SilenceService

from ._auth import check_csrf, csrf_token, current_user
from ._catalog import build_catalog
from ._service import ConsoleService
from ._settings import ConsoleSettings, console_settings, secret_key
from ._throttle import LoginThrottle
from ._views import blueprint, duration_filter, error_page, template_helpers

log = logging.getLogger("console")

DEFAULT_CONFIG = "khp.yml"
OPEN_ENDPOINTS = ("console.login", "console.healthz", "static")
EXTENSION = "khp_console"


def create_app(
    config: Config | str | Path | None = None,
    *,
    clock: Callable[[], float] = time.time,
    environ: Mapping[str, str] = os.environ,
    silences: SilenceService | None = None,
    history: History | None = None,
) -> Flask:
    """The console app for ``config`` (a ``Config``, a path, or ``$KHP_CONFIG`` / ``./khp.yml``).

    ``silences`` replaces the ``SilenceService`` built for each request and ``history`` the
    configured history (``open_history``); tests pass their own. Raises ``ConfigError``
    naming the file and key for a bad ``console:`` section or a missing secret key.
    """
    if not isinstance(config, Config):
        config = load_config(config or environ.get("KHP_CONFIG") or DEFAULT_CONFIG)
    settings = console_settings(config)
    key = secret_key(settings, environ)
    try:
        catalog = build_catalog(config)
    except MonitorLoadError as exc:
        raise ConfigError(config.file, "monitors", str(exc)) from None
    if history is None:
        history = open_history(config, environ=environ, clock=clock)
    service = ConsoleService(
        LiveConfig(config),
        catalog,
        history,
        clock=clock,
        silences=silences,
        alertmanager_config=settings.alertmanager_config,
    )

    app = Flask("console", root_path=str(Path(__file__).parent))
    app.config.update(
        SECRET_KEY=key,
        SESSION_COOKIE_NAME="khp_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookie,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=settings.session_lifetime),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    app.extensions[EXTENSION] = service
    app.extensions["khp_console_settings"] = settings
    app.extensions["khp_console_throttle"] = LoginThrottle()
    app.register_blueprint(blueprint)
    app.jinja_env.globals.update(csrf_token=csrf_token, **template_helpers(clock))
    app.jinja_env.filters["duration"] = duration_filter
    app.before_request(lambda: _guard(settings))
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _guard(settings: ConsoleSettings) -> WerkzeugResponse | None:
    """CSRF on every POST, then a user on every page but the log-in page, health and static files."""
    if request.method == "POST":
        check_csrf()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if current_user(settings) is None:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")), code=303)
    return None


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _http_error(error: HTTPException) -> Response | HTTPException:
    if error.code is None or request.endpoint == "static":
        return error
    return error_page(error.code, error.name, error.description or "")
