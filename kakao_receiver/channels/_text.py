"""Fitting text into a channel's limits without losing it: shorten with an ellipsis, or split.

Lengths are counted the way the chat APIs count them: in UTF-16 code units (``units``), so a
Hangul syllable is 1 and an emoji outside the Basic Multilingual Plane is 2; byte limits count
UTF-8 (``utf8``: a Hangul syllable is 3 bytes).
"""

from __future__ import annotations

ELLIPSIS = "…"


def units(text: str) -> int:
    """The length of ``text`` as Kakao's and Slack's APIs count characters: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one unit, as in UTF-16


def utf8(text: str) -> int:
    """The length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` units (never splitting a surrogate pair)."""
    if units(text) <= limit:
        return len(text)
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def shorten(text: str, limit: int) -> str:
    """``text`` itself if it fits in ``limit`` units, else its start and an ellipsis."""
    if units(text) <= limit:
        return text
    return text[: prefix(text, max(0, limit - 1))].rstrip() + ELLIPSIS


def shorten_bytes(text: str, limit: int) -> str:
    """``text`` shortened (with an ellipsis) until it has at most ``limit`` UTF-8 bytes."""
    if utf8(text) <= limit:
        return text
    cut = text.encode("utf-8")[: max(0, limit - utf8(ELLIPSIS))].decode("utf-8", errors="ignore")
    return cut.rstrip() + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """``text`` in chunks of at most ``limit`` units, broken between lines where it can.

    A line longer than ``limit`` is cut (at a space if there is one near) and the cut is marked
    with an ellipsis at the end of one chunk and the start of the next, so nothing is lost:
    ``"\\n".join(chunks).replace("…\\n…", "")`` gives ``text`` back.
    """
    if limit < 3:
        raise ValueError(f"limit must be 3 or more, got {limit}")
    chunks: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for piece in _cut(line, limit):
            if current is None:
                current = piece
            elif units(current) + 1 + units(piece) <= limit:
                current = f"{current}\n{piece}"
            else:
                chunks.append(current)
                current = piece
    chunks.append(current or "")
    return chunks


def _cut(line: str, limit: int) -> list[str]:
    if units(line) <= limit:
        return [line]
    pieces: list[str] = []
    start = 0
    while start < len(line):
        lead = ELLIPSIS if start else ""
        room = limit - len(lead)
        rest = line[start:]
        if units(rest) <= room:
            pieces.append(lead + rest)
            break
        end = start + max(1, prefix(rest, room - 1))
        space = line.rfind(" ", start + (end - start) // 2, end)
        if space > start:
            end = space + 1
        pieces.append(lead + line[start:end] + ELLIPSIS)
        start = end
    return pieces
