"""What an operator asked the bot to do, parsed from chat; pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from ._phrases import say


@dataclass(frozen=True)
class StartMaintenance:
    """Silence every alert of ``cluster`` for ``seconds``."""

    cluster: str
    seconds: float
    reason: str
    language: str = "ko"

    check = None
    acts = True


@dataclass(frozen=True)
class EndMaintenance:
    """End the maintenance window of ``cluster`` now."""

    cluster: str
    language: str = "ko"

    check = None
    acts = True


@dataclass(frozen=True)
class Mute:
    """Send only critical (``cri``) or nothing (``off``) of ``check`` on ``cluster`` for ``seconds``."""

    check: str
    cluster: str
    level: str
    seconds: float
    reason: str = ""
    language: str = "ko"

    acts = True


@dataclass(frozen=True)
class Unmute:
    """End the mutes of ``check`` on ``cluster`` now."""

    check: str
    cluster: str
    language: str = "ko"

    acts = True


@dataclass(frozen=True)
class Status:
    """Show ``cluster``'s silences and firing alerts (read-only)."""

    cluster: str
    language: str = "ko"

    check = None
    acts = False


@dataclass(frozen=True)
class Help:
    """Show the commands (read-only, open to everyone)."""

    language: str = "ko"

    cluster = None
    check = None
    acts = False


Command = StartMaintenance | EndMaintenance | Mute | Unmute | Status | Help


@dataclass(frozen=True)
class ParseError:
    """The input is no command the bot knows; ``text`` says why and how to write it."""

    problem: str
    usage: str
    language: str = "ko"

    @property
    def text(self) -> str:
        if not self.usage:
            return self.problem
        return f"{self.problem}\n{say(self.language, 'usage', usage=self.usage)}"
