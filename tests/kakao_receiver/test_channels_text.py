"""Fitting text into limits: shortened with an ellipsis, or split so that nothing is lost."""

from __future__ import annotations

import random

import pytest

from kakao_receiver.channels._text import ELLIPSIS, shorten, split


def test_shorten_keeps_what_fits_and_marks_what_it_cut() -> None:
    assert shorten("alpha", 20) == "alpha"
    assert shorten("심각 · a-very-long-cluster", 10) == "심각 · a-ve…"
    assert len(shorten("x" * 600, 500)) == 500


def test_split_breaks_between_lines_first() -> None:
    assert split("aaa\nbbb\nccc", 7) == ["aaa\nbbb", "ccc"]
    assert split("", 10) == [""]


def test_split_marks_a_cut_line_at_both_ends() -> None:
    chunks = split("word " * 30, 40)

    assert all(len(c) <= 40 for c in chunks)
    assert chunks[0].endswith(ELLIPSIS) and chunks[1].startswith(ELLIPSIS)


@pytest.mark.parametrize("limit", [3, 10, 20, 500])
def test_split_loses_nothing(limit: int) -> None:
    rng = random.Random(limit)
    alphabet = ["가", "a", " ", "\n", "word ", "x" * 50, "\n\n"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        chunks = split(text, limit)
        assert all(len(c) <= limit for c in chunks)
        assert "\n".join(chunks).replace(f"{ELLIPSIS}\n{ELLIPSIS}", "") == text


def test_split_needs_room_for_the_marks() -> None:
    with pytest.raises(ValueError, match="3 or more"):
        split("text", 2)
