"""The one error configuration raises: it names the file, the key and what is allowed."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration file is missing, unreadable or holds a value that is not allowed."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")
