"""Series as promtool writes them: ``"1 2 3"``, ``"0+10x5"``, ``"100-1x3"``, ``"5x3"``, ``"_"`` for no sample.

Expanding notation (as ``promtool test rules``):

* ``a+bxn`` is ``a a+b a+2b ... a+nb`` (n + 1 samples), ``a-bxn`` the same going down;
* ``axn`` is ``a`` n + 1 times (``a+0xn``);
* ``_`` is a step with no sample, ``_xn`` n steps with none.

Process states use the same steps with state names: ``"RUNNING RUNNINGx4 FATALx5 _x2"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_STEP = re.compile(rf"^(?P<start>{_NUMBER})(?:(?P<sign>[-+])(?P<by>{_NUMBER}))?x(?P<times>\d+)$")
_REPEAT = re.compile(r"^(?P<value>[A-Za-z_]+)x(?P<times>\d+)$")
MAX_SAMPLES = 100_000  # a series longer than this is a typo (69 days of minutes)


class SeriesError(ValueError):
    """A series that cannot be read; the message quotes the token and says what is allowed."""


def number_series(text: object, whole: bool = False) -> tuple[float | None, ...]:
    """The samples of ``text``: numbers, ``None`` where there is no sample (``_``)."""
    samples: list[float | None] = []
    for token in _tokens(text):
        if token == "_":
            samples.append(None)
            continue
        if token.startswith("_x") and token[2:].isdigit():
            samples.extend([None] * _times(token[2:], token))
            continue
        step = _STEP.match(token)
        if step:
            start = _number(step["start"], token, whole)
            by = _number(step["by"], token, whole) if step["by"] else 0.0
            if step["sign"] == "-":
                by = -by
            expanded = [start + i * by for i in range(_times(step["times"], token) + 1)]
            if whole and min(expanded) < 0:
                raise SeriesError(f"{token!r}: a count is a whole number of 0 or more")
            samples.extend(expanded)
        else:
            samples.append(_number(token, token, whole))
        _check_length(samples)
    return tuple(samples)


def state_series(text: object, states: Callable[[str], bool]) -> tuple[str | None, ...]:
    """The samples of ``text``: state names (``states(name)`` tells a valid one), ``None`` for ``_``."""
    samples: list[str | None] = []
    for token in _tokens(text):
        repeat = _REPEAT.match(token)
        name, times = (repeat["value"], _times(repeat["times"], token) + 1) if repeat else (token, 1)
        if name == "_":
            samples.extend([None] * (times - 1 if repeat else 1))
        elif states(name):
            samples.extend([name] * times)
        else:
            raise SeriesError(f"{token!r}: {name!r} is not a process state")
        _check_length(samples)
    return tuple(samples)


def _tokens(text: object) -> list[str]:
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise SeriesError(f"expected a series like '1 2 3' or '0+10x5', got {text!r}")
    tokens = str(text).split()
    if not tokens:
        raise SeriesError("the series is empty; write at least one sample, e.g. '5' or '0+10x5'")
    return tokens


def _times(digits: str, token: str) -> int:
    times = int(digits)
    if times > MAX_SAMPLES:
        raise SeriesError(f"{token!r}: more than {MAX_SAMPLES} samples")
    return times


def _number(text: str, token: str, whole: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > 1e300:
        raise SeriesError(f"{token!r} is not a sample; write a number, '_' (none), 'a+bxn', 'a-bxn' or 'axn'")
    if whole and (value < 0 or not value.is_integer()):
        raise SeriesError(f"{token!r}: a count is a whole number of 0 or more")
    return value


def _check_length(samples: list[_T]) -> None:
    if len(samples) > MAX_SAMPLES:
        raise SeriesError(f"more than {MAX_SAMPLES} samples")
