"""The console's pages and forms: thin views over ``ConsoleService``.

A form that succeeds redirects back (303) with a message; one that is refused renders its page
again with the reason and status 400 (422 for a refused threshold value), or 502 when no
Alertmanager answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from khp.configuration import format_duration, format_time, parse_duration, parse_time
from khp.silences import AlertmanagerUnavailable, InvalidSilence, SilenceError

from ._auth import check_password, current_user, log_in, log_out
from ._backtest import BacktestRefused, BacktestRequest
from ._backtest import run as run_backtest
from ._cluster_settings import Edit, SettingRefused
from ._filters import FilterError, FleetFilter
from ._service import ConsoleService, ThresholdRefused
from ._settings import ConsoleSettings
from ._thresholds import format_number
from ._throttle import LoginThrottle

log = logging.getLogger("console")

blueprint = Blueprint("console", __name__)
PROBLEMS_SHOWN = 500


def _service() -> ConsoleService:
    return current_app.extensions["khp_console"]


def _settings() -> ConsoleSettings:
    return current_app.extensions["khp_console_settings"]


def _user() -> str:
    user = current_user(_settings())
    if user is None:  # the guard lets no one without a user this far
        abort(401)
    return user


def _back(name: str, anchor: str, message: str) -> Response:
    flash(message, "ok")
    return redirect(url_for("console.cluster", name=name, _anchor=anchor), code=303)  # type: ignore[return-value]


def _refused(name: str, exc: Exception, status: int | None = None) -> tuple[str, int]:
    if status is None:
        status = 400 if isinstance(exc, InvalidSilence) else 502
    if isinstance(exc, (AlertmanagerUnavailable, SilenceError)) and not isinstance(exc, InvalidSilence):
        log.error("%s on %s: %s", request.path, name, exc)
    return _cluster_page(name, error=str(exc)), status


@blueprint.get("/api/stats")
def stats_api() -> Response | tuple[Response, int]:
    """The history page's figures as JSON (``khp stats --json``): ``?since=7d&until=&cluster=``."""
    try:
        since, until, cluster = _range(_service().clock())
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify(_service().statistics(since, until, cluster))


# -- pages ----------------------------------------------------------------------------------------


@blueprint.get("/")
def fleet() -> str | tuple[str, int]:
    return _fleet_page("fleet.html")


@blueprint.get("/problems")
def problems() -> str | tuple[str, int]:
    return _fleet_page("problems.html")


def _fleet_page(template: str) -> str | tuple[str, int]:
    """The fleet or the fleet-wide problem list under the query string's filter (400 for a bad one)."""
    try:
        chosen = FleetFilter.parse(request.args)
    except FilterError as exc:
        view = _service().overview()
        return render_template(template, view=view, limit=PROBLEMS_SHOWN, error=f"Filter not applied: {exc}"), 400
    return render_template(template, view=_service().overview(chosen), limit=PROBLEMS_SHOWN, error=None)


@blueprint.get("/clusters/<name>")
def cluster(name: str) -> str:
    return _cluster_page(name)


def _cluster_page(name: str, error: str | None = None) -> str:
    view = _service().cluster(name)
    if view is None:
        abort(404, description=f"No cluster {name!r}: it has no cluster file, no current problem and no silence.")
    return render_template("cluster.html", view=view, error=error, form=request.form if error else {})


def _range(now: float) -> tuple[float, float, str | None]:
    """``since``/``until``/``cluster`` of the query string; ``ValueError`` says how to write them."""
    since_text = request.args.get("since", "7d").strip() or "7d"
    until_text = request.args.get("until", "").strip()
    cluster = request.args.get("cluster", "").strip() or None
    try:
        until = parse_time(until_text, now) if until_text else now
        try:
            since = until - parse_duration(since_text)
        except ValueError:
            since = parse_time(since_text, now)
        if since >= until:
            raise ValueError(f"since {format_time(since)} is not before until {format_time(until)}")
    except ValueError as exc:
        raise ValueError(
            f"{exc}; write 'since' as a duration (7d, 12h) or a time, 'until' as a time (ISO-8601, now-1d)"
        ) from None
    return since, until, cluster


@blueprint.get("/history")
def history() -> str | tuple[str, int]:
    now = _service().clock()
    since_text = request.args.get("since", "7d").strip() or "7d"
    until_text = request.args.get("until", "").strip()
    try:
        since, until, cluster = _range(now)
    except ValueError as exc:
        view = _service().history_view(now - 7 * 86400, now, request.args.get("cluster") or None)
        return render_template("history.html", view=view, since=since_text, until=until_text, error=str(exc)), 400
    view = _service().history_view(since, until, cluster)
    return render_template("history.html", view=view, since=since_text, until=until_text, error=None)


@blueprint.get("/source/<path:path>")
def source(path: str) -> str:
    service = _service()
    file = service.catalog.source_file(path, service.config().file)
    if file is None:
        abort(404, description=f"{path} is not a monitor file of this installation.")
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    return render_template("source.html", path=path, lines=lines)


@blueprint.get("/healthz")
def healthz() -> dict[str, Any]:
    config = _service().config()
    return {"status": "ok", "clusters": len(config.clusters), "config_error": str(_service().live.error or "")}


# -- forms ----------------------------------------------------------------------------------------


@blueprint.post("/clusters/<name>/mute")
def mute(name: str) -> Response | tuple[str, int]:
    form = request.form
    check, level = form.get("check", ""), form.get("level", "")
    try:
        silence = _service().mute(_user(), name, check, level, form.get("duration", ""), form.get("reason", ""))
    except SilenceError as exc:
        return _refused(name, exc)
    what = "critical only" if level == "cri" else "off"
    return _back(name, "problems", f"'{check}' on {name}: {what} until {format_time(silence.ends_at)}.")


@blueprint.post("/clusters/<name>/unmute")
def unmute(name: str) -> Response | tuple[str, int]:
    check = request.form.get("check", "")
    try:
        ended = _service().unmute(_user(), name, check)
    except SilenceError as exc:
        return _refused(name, exc)
    message = f"'{check}' on {name} is no longer muted." if ended else f"'{check}' on {name} was not muted."
    return _back(name, "problems", message)


@blueprint.post("/clusters/<name>/thresholds/<key>")
def threshold(name: str, key: str) -> Response | tuple[str, int]:
    form = request.form
    try:
        change = _service().set_threshold(_user(), name, key, form.get("warning", ""), form.get("critical", ""))
    except ThresholdRefused as exc:
        return _refused(name, exc, 422)
    return _back(name, f"threshold-{key}", f"Saved {change}.")


@blueprint.post("/clusters/<name>/rooms")
def set_rooms(name: str) -> Response | tuple[str, int]:
    form = request.form
    try:
        edit = _service().set_rooms(_user(), name, {level: form.get(level, "") for level in ("warning", "critical")})
    except SettingRefused as exc:
        return _refused(name, exc, 422)
    return _edited(name, "rooms", edit)


@blueprint.post("/clusters/<name>/pending")
def set_pending(name: str) -> Response | tuple[str, int]:
    try:
        edit = _service().set_pending(_user(), name, request.form.get("pending", ""))
    except SettingRefused as exc:
        return _refused(name, exc, 422)
    return _edited(name, "pending", edit)


def _edited(name: str, anchor: str, edit: Edit) -> Response:
    deployed = edit.deployed
    if deployed is None:
        return _back(name, anchor, f"Saved {edit.change}.")
    checked = "checked by amtool" if deployed.checked else "not checked (amtool is not installed)"
    message = f"Saved {edit.change}. {deployed.path.name} re-rendered, {checked}"
    if deployed.reloaded:
        message += f", reloaded on {', '.join(deployed.reloaded)}"
    if deployed.failed:
        why = "; ".join(f"{url}: {reason}" for url, reason in deployed.failed.items())
        flash(f"{message}. Not reloaded on {why}: reload it there (POST /-/reload) or restart it.", "error")
        return redirect(url_for("console.cluster", name=name, _anchor=anchor), code=303)  # type: ignore[return-value]
    return _back(name, anchor, message + ".")


@blueprint.post("/clusters/<name>/maintenance")
def start_maintenance(name: str) -> Response | tuple[str, int]:
    form = request.form
    duration, until = form.get("duration", "").strip(), form.get("until", "").strip()
    try:
        silence = _service().start_maintenance(_user(), name, duration, until, form.get("reason", ""))
    except SilenceError as exc:
        return _refused(name, exc)
    return _back(name, "maintenance", f"{name} is in maintenance until {format_time(silence.ends_at)}.")


@blueprint.post("/clusters/<name>/maintenance/end")
def end_maintenance(name: str) -> Response | tuple[str, int]:
    try:
        ended = _service().end_maintenance(_user(), name)
    except SilenceError as exc:
        return _refused(name, exc)
    message = f"Maintenance of {name} ended." if ended else f"{name} was not in maintenance."
    return _back(name, "maintenance", message)


@blueprint.post("/clusters/<name>/backtest")
def backtest(name: str) -> str | tuple[str, int]:
    service = _service()
    form = request.form
    wanted = BacktestRequest(
        cluster=name,
        monitor=form.get("monitor", "").strip(),
        since=form.get("since", "1d").strip() or "1d",
        step=form.get("step", "5m").strip() or "5m",
        overrides=form.get("overrides", ""),
        pending=form.get("pending", ""),
    )
    if service.cluster(name) is None:
        abort(404, description=f"No cluster {name!r}.")
    try:
        report = run_backtest(service.config(), wanted, service.clock())
    except BacktestRefused as exc:
        return _cluster_page(name, error=f"Backtest not run: {exc}"), 400
    log.info("%s backtested %s on %s: %s", _user(), wanted.monitor or "every monitor", name, wanted.overrides.split())
    return render_template("backtest.html", name=name, wanted=wanted, report=report)


# -- log-in ---------------------------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    settings = _settings()
    target = _safe_next(request.values.get("next", ""))
    if request.method == "GET":
        if current_user(settings) is not None:
            return redirect(target, code=303)  # type: ignore[return-value]
        return render_template("login.html", next=target, error=None)
    name = request.form.get("username", "").strip()
    throttle: LoginThrottle = current_app.extensions["khp_console_throttle"]
    address = request.remote_addr or "-"
    wait = throttle.wait(name, address)
    if wait > 0:
        log.warning("refused log-in as %r from %s: too many failures, %.0fs to wait", name[:64], address, wait)
        error = f"Too many failed log-ins; try again in {max(1, round(wait))} seconds."
        page = render_template("login.html", next=target, error=error, username=name)
        return page, 429, {"Retry-After": str(max(1, round(wait)))}  # type: ignore[return-value]
    if not settings.users or not check_password(settings, name, request.form.get("password", "")):
        throttle.failed(name, address)
        log.warning("failed log-in as %r from %s", name[:64], address)
        error = "Wrong user name or password."
        return render_template("login.html", next=target, error=error, username=name), 401
    throttle.succeeded(name)
    log_in(name)
    log.info("%s logged in from %s", name, request.remote_addr)
    return redirect(target, code=303)  # type: ignore[return-value]


@blueprint.post("/logout")
def logout() -> Response:
    log_out()
    return redirect(url_for("console.login"), code=303)  # type: ignore[return-value]


def _safe_next(target: str) -> str:
    """Only a path of this site: never ``//host`` or a full URL (an open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.fleet")


# -- rendering helpers ----------------------------------------------------------------------------


def template_helpers(clock: Callable[[], float]) -> dict[str, Any]:
    """Functions the templates call: times, numbers, source links, the user."""

    def when(epoch: float | None) -> str:
        return "-" if epoch is None else format_time(epoch).replace("T", " ").replace("Z", " UTC")

    def ago(epoch: float | None) -> str:
        if epoch is None:
            return "-"
        seconds = clock() - epoch
        if seconds < 60:
            return "just now" if seconds > -60 else f"in {format_duration(round(-seconds / 60) * 60)}"
        return f"{format_duration(_round(seconds))} ago"

    def until(epoch: float) -> str:
        return f"in {format_duration(_round(max(epoch - clock(), 60)))}"

    def source_href(source: str) -> str | None:
        if source.startswith(("https://", "http://")):
            return source
        path, _, anchor = source.partition("#")
        if not path.endswith(".py"):
            return None
        return url_for("console.source", path=path.lstrip("/")) + (f"#{anchor}" if anchor else "")

    def user() -> str | None:
        return current_user(_settings())

    return {"when": when, "ago": ago, "until": until, "num": format_number, "source_href": source_href, "user": user}


def duration_filter(seconds: float) -> str:
    """``300`` -> ``'5m'``: durations as the configuration writes them."""
    return format_duration(seconds)


def _round(seconds: float) -> float:
    """To the minute under a day, to the hour above: '3h12m ago', '2d4h ago'."""
    unit = 60 if seconds < 86400 else 3600
    return max(unit, round(seconds / unit) * unit)


def error_page(status: int, title: str, message: str) -> Response:
    body = render_template("error.html", status=status, title=title, message=message)
    return Response(body, status=status, mimetype="text/html")
