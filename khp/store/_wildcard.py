"""Word wildcards the way Elasticsearch matches them on an analyzed ``message`` field.

The message is split into lowercase words (letters, digits and ``_``, joined by ``.``, ``'``
or ``:`` between letters as the standard tokenizer keeps ``ipc.RpcServer`` and ``hbase:meta`` whole, and
digits joined by ``,`` as in ``1,000``); a pattern matches when it
matches one whole word, ``*`` standing for any run of characters and ``?`` for one.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\w+(?:(?:[.']|(?<=[^\W\d_]):(?=[^\W\d_])|(?<=\d),(?=\d))\w+)*")


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern.lower())
    return re.compile("".join(parts))


def words(message: str) -> list[str]:
    """The lowercase words of ``message`` that a pattern is matched against."""
    return _WORD.findall(message.lower())


def matches(pattern: str, message: str) -> bool:
    """Whether some word of ``message`` matches ``pattern``, ignoring case."""
    compiled = _compile(pattern)
    return any(compiled.fullmatch(word) for word in words(message))
