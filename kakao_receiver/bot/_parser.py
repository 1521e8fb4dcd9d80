"""Typed chat commands (Kakao i OpenBuilder utterances), Korean and English, into ``Command``s.

Pure: no I/O, no clock. ``parse_command`` never raises on what people type; it returns a
``ParseError`` whose ``text`` says what is wrong and how the command is written::

    parse_command('점검 alpha 2h 디스크 교체')
    # StartMaintenance(cluster='alpha', seconds=7200.0, reason='디스크 교체', language='ko')
    parse_command('mute "Too many tablets" alpha cri 1d')
    # Mute(check='Too many tablets', cluster='alpha', level='cri', seconds=86400.0, reason='', language='en')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._commands import Command, EndMaintenance, Help, Mute, ParseError, StartMaintenance, Status, Unmute
from ._durations import is_unit, parse_chat_duration
from ._phrases import say

MAINTENANCE = "maintenance"
END_MAINTENANCE = "end_maintenance"
MUTE = "mute"
UNMUTE = "unmute"
STATUS = "status"
HELP = "help"

# verb -> (what, language of the answer); None: Korean if the input has Hangul, else the default
VERBS: dict[str, tuple[str, str | None]] = {
    "점검": (MAINTENANCE, "ko"),
    "점검시작": (MAINTENANCE, "ko"),
    "maint": (MAINTENANCE, "en"),
    "maintenance": (MAINTENANCE, "en"),
    "점검해제": (END_MAINTENANCE, "ko"),
    "점검종료": (END_MAINTENANCE, "ko"),
    "점검끝": (END_MAINTENANCE, "ko"),
    "unmaint": (END_MAINTENANCE, "en"),
    "mute": (MUTE, None),
    "뮤트": (MUTE, "ko"),
    "unmute": (UNMUTE, None),
    "뮤트해제": (UNMUTE, "ko"),
    "언뮤트": (UNMUTE, "ko"),
    "상태": (STATUS, "ko"),
    "현황": (STATUS, "ko"),
    "status": (STATUS, "en"),
    "도움말": (HELP, "ko"),
    "도움": (HELP, "ko"),
    "명령어": (HELP, "ko"),
    "help": (HELP, "en"),
    "?": (HELP, None),
}
# "점검 해제 alpha", "maint end alpha", "뮤트 해제 ...": a second word that ends instead of starts
ENDING_WORDS = {
    MAINTENANCE: {"해제", "종료", "끝", "end", "stop", "off", "done"},
    MUTE: {"해제", "종료", "end", "stop"},
}
LEVELS = {
    "off": "off",
    "끄기": "off",
    "끔": "off",
    "cri": "cri",
    "crit": "cri",
    "critical": "cri",
    "심각": "cri",
    "심각만": "cri",
}
# straight, curly (what phones type) and corner quotes
LEFT_DOUBLE, RIGHT_DOUBLE, LEFT_SINGLE, RIGHT_SINGLE = "\u201c", "\u201d", "\u2018", "\u2019"
QUOTES = {'"': '"', "'": "'", LEFT_DOUBLE: RIGHT_DOUBLE, LEFT_SINGLE: RIGHT_SINGLE, "「": "」", "『": "』"}


@dataclass(frozen=True)
class Token:
    """A word of the input; ``start``/``end`` index the input (quotes included)."""

    text: str
    quoted: bool
    start: int
    end: int


class _Unclosed(Exception):
    pass


def parse_command(utterance: str, language: str = "ko") -> Command | ParseError:
    """The command ``utterance`` asks for, or a ``ParseError`` with the usage line.

    Answers are in the language of the command word (``점검`` Korean, ``maint`` English); for
    ``mute``/``unmute``, in Korean when the input has Hangul, else in ``language``.
    """
    text = (utterance or "").strip()
    language = "ko" if _has_hangul(text) else language
    try:
        tokens = tokenize(text)
    except _Unclosed:
        return ParseError(say(language, "parse.quote"), say(language, "usage.mute"), language)
    if not tokens:
        return Help(language)
    verb = tokens[0].text.lower().lstrip("/!")
    if verb not in VERBS:
        return ParseError(say(language, "parse.unknown", word=tokens[0].text), say(language, "usage.all"), language)
    what, verb_language = VERBS[verb]
    language = verb_language or language
    rest = tokens[1:]
    if rest and not rest[0].quoted and rest[0].text.lower() in ENDING_WORDS.get(what, ()):
        what, rest = (END_MAINTENANCE if what == MAINTENANCE else UNMUTE), rest[1:]
    return _PARSERS[what](text, rest, language)


def tokenize(text: str) -> list[Token]:
    """Words split on white space; a word opening with a quote runs to its closing quote."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        closing = QUOTES.get(text[i])
        if closing is not None:
            end = _closing_quote(text, i + 1, closing, text[i])
            if end < 0:
                raise _Unclosed
            tokens.append(Token(text[i + 1 : end].strip(), True, start, end + 1))
            i = end + 1
            continue
        while i < n and not text[i].isspace():
            i += 1
        tokens.append(Token(text[start:i], False, start, i))
    return tokens


def _closing_quote(text: str, start: int, closing: str, opening: str) -> int:
    end = text.find(closing, start)
    if end < 0 and opening in (LEFT_DOUBLE, LEFT_SINGLE):  # phones mix curly and straight quotes
        end = text.find('"' if opening == LEFT_DOUBLE else "'", start)
    return end


def _maintenance(text: str, tokens: list[Token], language: str) -> Command | ParseError:
    usage = say(language, "usage.maintenance")
    if not tokens:
        return ParseError(say(language, "parse.cluster"), usage, language)
    after_cluster, first = _duration(tokens, 1), _duration(tokens, 0)
    if after_cluster is not None:
        cluster = tokens[0]
        seconds, at = after_cluster
    elif first is not None and first[1] < len(tokens):  # "점검 2h alpha ...": the duration came first
        seconds, at = first
        cluster, at = tokens[at], at + 1
    elif len(tokens) > 1:
        return ParseError(say(language, "parse.duration", word=tokens[1].text), usage, language)
    else:
        return ParseError(say(language, "parse.how_long"), usage, language)
    reason = _rest(text, tokens, at)
    if not reason:
        return ParseError(say(language, "parse.reason"), usage, language)
    return StartMaintenance(cluster.text, seconds, reason, language)


def _end_maintenance(text: str, tokens: list[Token], language: str) -> Command | ParseError:
    if len(tokens) != 1:
        return ParseError(say(language, "parse.cluster"), say(language, "usage.end_maintenance"), language)
    return EndMaintenance(tokens[0].text, language)


def _mute(text: str, tokens: list[Token], language: str) -> Command | ParseError:
    usage = say(language, "usage.mute")
    split = _check_and_cluster(text, tokens, lambda i: _is_level(tokens, i) or _duration(tokens, i) is not None)
    if split is None:
        return ParseError(say(language, "parse.check_cluster"), usage, language)
    check, cluster, at = split
    level = "off"
    seconds: float | None = None
    for _ in range(2):  # the level and the duration, in either order
        if _is_level(tokens, at):
            level, at = LEVELS[tokens[at].text.lower()], at + 1
        elif seconds is None and (taken := _duration(tokens, at)) is not None:
            seconds, at = taken
    if seconds is None:
        word = tokens[at].text if at < len(tokens) else ""
        problem = say(language, "parse.duration", word=word) if word else say(language, "parse.how_long")
        return ParseError(problem, usage, language)
    return Mute(check, cluster, level, seconds, _rest(text, tokens, at), language)


def _unmute(text: str, tokens: list[Token], language: str) -> Command | ParseError:
    split = _check_and_cluster(text, tokens, lambda i: False)
    if split is None or split[2] != len(tokens):
        return ParseError(say(language, "parse.check_cluster"), say(language, "usage.unmute"), language)
    check, cluster, _ = split
    return Unmute(check, cluster, language)


def _status(text: str, tokens: list[Token], language: str) -> Command | ParseError:
    if len(tokens) != 1:
        return ParseError(say(language, "parse.cluster"), say(language, "usage.status"), language)
    return Status(tokens[0].text, language)


def _help(text: str, tokens: list[Token], language: str) -> Command | ParseError:
    return Help(language)


def _check_and_cluster(
    text: str, tokens: list[Token], after_cluster: Callable[[int], bool]
) -> tuple[str, str, int] | None:
    """(check, cluster, index after the cluster): a quoted check, or the words before the cluster.

    Unquoted, the cluster is the first word (after the first) that ``after_cluster(its index + 1)``
    holds for, else the last word; so ``mute Too many tablets alpha cri 1d`` reads as the quoted form.
    """
    if len(tokens) < 2:
        return None
    if tokens[0].quoted:
        return (tokens[0].text, tokens[1].text, 2) if tokens[0].text else None
    cluster = next((i for i in range(1, len(tokens)) if after_cluster(i + 1)), len(tokens) - 1)
    check = text[tokens[0].start : tokens[cluster - 1].end]
    return " ".join(check.split()), tokens[cluster].text, cluster + 1


def _duration(tokens: list[Token], at: int) -> tuple[float, int] | None:
    """(seconds, index after it) when a positive duration starts at ``at`` (``2h``, ``2 시간``)."""
    if at >= len(tokens) or tokens[at].quoted:
        return None
    word = tokens[at].text
    if at + 1 < len(tokens) and _is_number(word) and is_unit(tokens[at + 1].text):
        word, end = word + tokens[at + 1].text, at + 2
    else:
        end = at + 1
    seconds = parse_chat_duration(word)
    if seconds is None or seconds <= 0:
        return None
    return seconds, end


def _is_level(tokens: list[Token], at: int) -> bool:
    return at < len(tokens) and not tokens[at].quoted and tokens[at].text.lower() in LEVELS


def _is_number(word: str) -> bool:
    return word.replace(".", "", 1).isdigit()


def _rest(text: str, tokens: list[Token], at: int) -> str:
    return text[tokens[at].start :].strip() if at < len(tokens) else ""


def _has_hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)


_PARSERS = {
    MAINTENANCE: _maintenance,
    END_MAINTENANCE: _end_maintenance,
    MUTE: _mute,
    UNMUTE: _unmute,
    STATUS: _status,
    HELP: _help,
}
