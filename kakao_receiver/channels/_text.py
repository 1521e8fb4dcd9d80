"""Fitting text into a channel's limits without losing it: shorten with an ellipsis, or split."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """``text`` itself if it fits in ``limit`` characters, else its start and an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """``text`` in chunks of at most ``limit`` characters, broken between lines where it can.

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
            elif len(current) + 1 + len(piece) <= limit:
                current = f"{current}\n{piece}"
            else:
                chunks.append(current)
                current = piece
    chunks.append(current or "")
    return chunks


def _cut(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    pieces: list[str] = []
    start = 0
    while start < len(line):
        lead = ELLIPSIS if start else ""
        room = limit - len(lead)
        if len(line) - start <= room:
            pieces.append(lead + line[start:])
            break
        end = start + room - 1
        space = line.rfind(" ", start + room // 2, end)
        if space > start:
            end = space + 1
        pieces.append(lead + line[start:end] + ELLIPSIS)
        start = end
    return pieces
