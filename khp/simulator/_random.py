"""Deterministic randomness: every draw is a pure function of integer keys.

Python's ``hash`` of strings changes from run to run, so nothing here hashes a string:
callers pass integers (the seed, a cluster's number, a host's index, a whole second) and
get the same numbers on every machine and in every process.
"""

from __future__ import annotations

import _random
import random

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

# Salts keep the streams of different purposes apart.
TOPOLOGY = 1
METRICS = 2
PROCESSES = 3
LOGS = 4
LOG_BURSTS = 5
FAULTS = 6


def _splitmix(x: int) -> int:
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def mix(*keys: int) -> int:
    """A 64-bit number that depends on every key and their order."""
    h = _GOLDEN
    for key in keys:
        h = _splitmix(h ^ (key & _MASK))
    return h


def extend(h: int, key: int) -> int:
    """``mix(*keys, key)`` from ``h = mix(*keys)``: a key added to a mix made once."""
    return _splitmix(h ^ (key & _MASK))


def unit(*keys: int) -> float:
    """A number in ``[0, 1)`` that depends only on ``keys``."""
    return mix(*keys) / 18446744073709551616.0


def rng(*keys: int) -> random.Random:
    """A generator whose sequence depends only on ``keys``."""
    return random.Random(mix(*keys))


class Draws(_random.Random):
    """A generator seeded again in place: after ``seed(mix(*keys))``, ``random()`` draws what ``rng(*keys)`` draws.

    Cheaper than a new ``random.Random`` per host and second, which a long simulation makes
    millions of; it has only the C generator's ``seed`` and ``random``.
    """
