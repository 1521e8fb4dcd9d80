"""Errors of data sources::

SourceError                 a query could not be answered
 +-- SourceUnavailable      the source did not answer (down, timeout, refused)
"""

from __future__ import annotations


class SourceError(Exception):
    """A source could not answer a query; the message names the source and the query."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class SourceUnavailable(SourceError):
    """The source did not answer at all: down, refused or timed out."""
