"""Series in promtool's expanding notation."""

from __future__ import annotations

import re

import pytest

from khp.records import PROCESS_STATES
from khp.ruletests import SeriesError, number_series, state_series


@pytest.mark.parametrize(
    ("text", "samples"),
    [
        ("1 2 3", (1, 2, 3)),
        ("-2+4x3", (-2, 2, 6, 10)),  # promtool's own examples
        ("1-2x4", (1, -1, -3, -5, -7)),
        ("1x4", (1, 1, 1, 1, 1)),
        ("1 _x3 5", (1, None, None, None, 5)),
        ("_ 0.5 1e3", (None, 0.5, 1000.0)),
        ("7x0", (7,)),
        (42, (42,)),
    ],
)
def test_numbers_expand_as_promtool_expands_them(text: object, samples: tuple[float | None, ...]) -> None:
    assert number_series(text) == samples


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the series is empty"),
        ("1 two 3", "'two' is not a sample"),
        ("1+x3", "'1+x3' is not a sample"),
        ("nan", "'nan' is not a sample"),
        ("1e999", "'1e999' is not a sample"),
        ("1x1000001", "more than 100000 samples"),
        (["1"], "expected a series like"),
        (True, "expected a series like"),
    ],
)
def test_bad_numbers_say_what_is_allowed(text: object, fragment: str) -> None:
    with pytest.raises(SeriesError, match=re.escape(fragment)):
        number_series(text)


def test_counts_are_whole_numbers_of_zero_or_more() -> None:
    assert number_series("0 5x2", whole=True) == (0, 5, 5, 5)
    for text in ("-1", "2.5", "1-1x3"):
        with pytest.raises(SeriesError, match="a count is a whole number"):
            number_series(text, whole=True)


def test_states_repeat_and_skip_steps() -> None:
    known = PROCESS_STATES.__contains__
    assert state_series("RUNNING RUNNINGx2 _ FATAL _x2", known) == (  # RUNNINGx2: two more, as 1x2 is 1 1 1
        "RUNNING",
        "RUNNING",
        "RUNNING",
        "RUNNING",
        None,
        "FATAL",
        None,
        None,
    )
    with pytest.raises(SeriesError, match="'RUNING' is not a process state"):
        state_series("RUNING", known)
