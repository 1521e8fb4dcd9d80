"""The bot: checks who may do what, carries out commands through ``SilenceService``, records them.

Every acting command (and every refusal) becomes a history event of kind ``action`` with the
actor (``kakaowork:123``, ``kakaotalk:abc``), the cluster, the check and what was done. Errors
become answers people can act on; nothing here raises to the chat platform.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from khp.configuration import Config, format_time
from khp.history import HistoryEvent, problem_key
from khp.silences import AlertmanagerUnavailable, InvalidSilence, Silence, SilenceError, SilenceService

from .._i18n import ZONES, human_clock, human_duration
from ._alerts import AlertReader
from ._allow import Actor, AllowList
from ._budget import Budget
from ._commands import Command, EndMaintenance, Help, Mute, ParseError, StartMaintenance, Status, Unmute
from ._phrases import say
from ._status import status_text

log = logging.getLogger("kakao_receiver.bot")


@runtime_checkable
class Recorder(Protocol):
    """Where action events go: the receiver's ``History`` (``open_history(config)``)."""

    def record(self, events: Sequence[HistoryEvent]) -> None: ...


class Bot:
    """Answers one command of one actor; ``answer`` returns the text to show in chat."""

    def __init__(
        self,
        config: Config,
        service: SilenceService,
        alerts: AlertReader,
        allow: AllowList,
        budget: Budget,
        record: Callable[[Sequence[HistoryEvent]], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.service = service
        self.alerts = alerts
        self.allow = allow
        self.budget = budget
        self.record = record
        self.clock = clock

    def answer(self, command: Command | ParseError, actor: Actor, room: str = "") -> str:
        """What to say to ``actor`` about ``command``, after doing it if they may."""
        if isinstance(command, ParseError):
            return command.text
        if isinstance(command, Help):
            return say(command.language, "help", actor=actor)
        language, cluster = command.language, command.cluster
        if isinstance(command, Status):
            if not self.allow.may_view(actor, cluster):
                return self._refuse(command, actor, room, "refused.view")
        elif not self.allow.may_act(actor, cluster):
            return self._refuse(command, actor, room, "refused")
        with self.budget.running():
            try:
                text, detail = self._carry_out(command, actor)
            except InvalidSilence as exc:
                text, detail = invalid_text(exc, language), f"failed: {exc}"
            except AlertmanagerUnavailable as exc:
                log.warning("%s: %s for %s: %s", actor, _describe(command), cluster, exc)
                text, detail = say(language, "unavailable", cluster=cluster), f"failed: {exc}"
            except SilenceError as exc:
                log.warning("%s: %s for %s refused by Alertmanager: %s", actor, _describe(command), cluster, exc)
                text, detail = say(language, "refused.by_alertmanager"), f"failed: {exc}"
            except Exception:
                log.exception("%s: %s for %s failed", actor, _describe(command), cluster)
                text, detail = say(language, "internal"), "failed: internal error (see the receiver's log)"
        if command.acts:
            log.info("%s: %s on %s: %s", actor, _describe(command), cluster, detail)
            self._record(actor, room, cluster, command.check or "", detail)
        return text

    def _carry_out(self, command: Command, actor: Actor) -> tuple[str, str]:
        """(answer, history detail) of an allowed command."""
        language = command.language
        if isinstance(command, StartMaintenance):
            silence = self.service.start_maintenance(
                command.cluster, duration=command.seconds, reason=command.reason, created_by=str(actor)
            )
            end = self._end(silence, language)
            text = say(language, "maintenance.started", cluster=silence.cluster, reason=silence.reason, **end)
            return text, f"maintenance until {format_time(silence.ends_at)} (silence {silence.id}): {silence.reason}"
        if isinstance(command, EndMaintenance):
            ended = self.service.end_maintenance(command.cluster)
            key = "maintenance.ended" if ended else "maintenance.none"
            return say(language, key, cluster=command.cluster), _ended("maintenance ended", ended)
        if isinstance(command, Mute):
            silence = self.service.mute(
                command.check,
                command.cluster,
                command.level,
                duration=command.seconds,
                created_by=str(actor),
                reason=command.reason,
            )
            end = self._end(silence, language)
            text = say(language, f"mute.{silence.kind}", check=silence.check, cluster=silence.cluster, **end)
            undo = say(language, "mute.undo", check=silence.check, cluster=silence.cluster)
            why = f": {silence.reason}" if silence.reason else ""
            detail = f"mute {silence.kind} until {format_time(silence.ends_at)} (silence {silence.id}){why}"
            return f"{text}\n{undo}", detail
        if isinstance(command, Unmute):
            ended = self.service.unmute(command.check, command.cluster)
            key = "unmuted" if ended else "unmute.none"
            return say(language, key, check=command.check, cluster=command.cluster), _ended("unmuted", ended)
        assert isinstance(command, Status)
        silences = self.service.list_silences(cluster=command.cluster)
        alerts = self.alerts.alerts(command.cluster)
        if not silences and not alerts and command.cluster not in self.config.clusters:
            close = difflib.get_close_matches(command.cluster, list(self.config.clusters), n=1)
            hint = say(language, "invalid.suggestion", name=close[0]) if close else ""
            return say(language, "status.unknown", cluster=command.cluster, suggestion=hint), ""
        return status_text(command.cluster, silences, alerts, language), ""

    def _end(self, silence: Silence, language: str) -> dict[str, str]:
        return {
            "until": human_clock(silence.ends_at, language, ZONES[language]),
            "length": human_duration(silence.ends_at - self.clock(), language),
        }

    def form_refusal(self, actor: Actor, cluster: str, check: str, language: str, room: str = "") -> str | None:
        """Before showing the custom-duration form: the refusal if ``actor`` may not act on ``cluster``."""
        if self.allow.may_act(actor, cluster):
            return None
        return self._refused(actor, room, cluster, check, "open the silence form", language, "refused")

    def _refuse(self, command: Command, actor: Actor, room: str, key: str) -> str:
        what = _describe(command)
        return self._refused(actor, room, command.cluster or "", command.check or "", what, command.language, key)

    def _refused(self, actor: Actor, room: str, cluster: str, check: str, what: str, language: str, key: str) -> str:
        lists = "allow" if key == "refused" else "allow or viewers"
        log.warning('refused %s: %s on %s (not on receiver.bot.%s for %s or "*")', actor, what, cluster, lists, cluster)
        self._record(actor, room, cluster, check, f"refused: {what} (not allowed on {cluster})")
        return say(language, key, cluster=cluster, actor=actor)

    def _record(self, actor: Actor, room: str, cluster: str, check: str, detail: str) -> None:
        labels = {"alertname": check, "cluster": cluster} if check else {"cluster": cluster}
        event = HistoryEvent(
            time=self.clock(),
            kind="action",
            key=problem_key(labels),
            check=check,
            cluster=cluster,
            channel=actor.platform,
            room=room,
            actor=str(actor),
            detail=detail,
        )
        try:
            self.record([event])
        except Exception:  # the answer matters more than its history; the log keeps the event
            log.exception("could not record %s in history: %s", actor, event)


def invalid_text(error: InvalidSilence, language: str) -> str:
    """A refused silence in the asker's language: what to change, never a server path or a config key."""
    details = dict(error.details)
    if error.reason not in InvalidSilence.REASONS or error.reason == "creator_missing":
        return say(language, "invalid.other")
    if "limit" in details:
        details["limit"] = human_duration(float(details["limit"]), language)  # type: ignore[arg-type]
    suggestion = details.get("suggestion")
    if "suggestion" in details:
        details["suggestion"] = say(language, "invalid.suggestion", name=suggestion) if suggestion else ""
    return say(language, f"invalid.{error.reason}", **details)


def _describe(command: Command) -> str:
    """``maintenance 2h``, ``mute 'Too many tablets' cri 1d``: what was asked, for logs and history."""
    if isinstance(command, StartMaintenance):
        return f"maintenance {human_duration(command.seconds, 'en').replace(' ', '')}"
    if isinstance(command, EndMaintenance):
        return "end maintenance"
    if isinstance(command, Mute):
        return f"mute '{command.check}' {command.level} {human_duration(command.seconds, 'en').replace(' ', '')}"
    if isinstance(command, Unmute):
        return f"unmute '{command.check}'"
    if isinstance(command, Status):
        return "status"
    return "help"


def _ended(what: str, ended: list[Silence]) -> str:
    if not ended:
        return f"{what}: nothing to end"
    return f"{what} (silence {', '.join(s.id for s in ended)})"
