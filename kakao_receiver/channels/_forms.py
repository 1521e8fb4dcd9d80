"""Simpler forms of a rendered message, for when a service refuses one; pure, no I/O.

A message goes down this ladder until the service takes it: the full form; without the elements
that broke a rule (``blocks[7]`` named by a problem), or without its buttons and links when the
service did not say which; text blocks only; the bare ``text``. Each step keeps every word it
can: only links, buttons and layout are given up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._text import shorten, split

_BLOCK = re.compile(r"^blocks\[(\d+)\]")
INTERACTIVE = frozenset({"action", "actions", "button"})


def named_blocks(problems: Sequence[str]) -> set[int]:
    """The indexes of the blocks the problems name (``blocks[7].value ...`` -> 7)."""
    return {int(match.group(1)) for problem in problems if (match := _BLOCK.match(problem))}


def without(payload: Mapping[str, Any], problems: Sequence[str]) -> dict[str, Any] | None:
    """``payload`` without the blocks ``problems`` name, else without its buttons; ``None`` if neither."""
    blocks = list(payload.get("blocks") or [])
    bad = named_blocks(problems) & set(range(len(blocks)))
    if not bad:
        bad = {i for i, block in enumerate(blocks) if isinstance(block, Mapping) and block.get("type") in INTERACTIVE}
    if not bad:
        return None
    return {**payload, "blocks": [block for index, block in enumerate(blocks) if index not in bad]}


def block_texts(blocks: Sequence[Any]) -> list[str]:
    """Every text a list of Block Kit blocks shows (headers, texts, descriptions, sections), in order."""
    found: list[str] = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        text = block.get("text")
        if isinstance(text, Mapping):  # Slack: {"type": "mrkdwn", "text": ...}
            text = text.get("text")
        if isinstance(text, str) and text.strip() and block.get("type") not in INTERACTIVE:
            term = block.get("term")
            found.append(f"{term}: {text}" if isinstance(term, str) and term else text)
        content = block.get("content")
        if isinstance(content, Mapping):
            found += [f"{block.get('term')}: {t}" if block.get("term") else t for t in block_texts([content])]
    return found


def plain_blocks(text: str, limit: int, max_blocks: int, block: Any) -> list[dict[str, Any]]:
    """``text`` in at most ``max_blocks`` blocks made by ``block(chunk)``, each chunk within ``limit``."""
    chunks = [chunk for chunk in split(text, limit) if chunk.strip()]
    if len(chunks) > max_blocks:
        chunks = [*chunks[: max_blocks - 1], shorten("\n".join(chunks[max_blocks - 1 :]), limit)]
    made: list[dict[str, Any]] = [block(chunk) for chunk in chunks]
    return made
