"""Errors of the embedded store."""

from __future__ import annotations


class StoreError(Exception):
    """The store file cannot be opened or written."""


class IngestError(StoreError):
    """A line of an ingest file is not a valid record; nothing of the file was loaded."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        super().__init__(f"{file}:{line}: {problem}; nothing from {file} was loaded")
