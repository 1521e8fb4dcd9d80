"""Where a monitor failed: the file and line of the rule author's code that raised, and what to print."""

from __future__ import annotations

import inspect
import traceback
from pathlib import Path
from types import TracebackType

from ._errors import EvaluatorError, MonitorLoadError
from ._monitor import Monitor


def failure_location(monitor: type[Monitor], error: BaseException) -> tuple[str, int]:
    """The (file, line) a failure of ``monitor`` is about.

    The line the error names itself (a module that did not import, an ``emit`` checked after
    ``run`` returned), else the innermost line of the traceback in the monitor's directory (its
    own file or a helper beside it), else the line of the class.
    """
    where = error.where if isinstance(error, EvaluatorError) else None
    if where is not None:
        return where
    home = _class_location(monitor)
    if home is None:
        return (monitor.__module__, 1)
    directory = Path(home[0]).resolve().parent
    found = None
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _in(filename, directory):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found or home


def failure_message(error: BaseException, file: str, line: int, located: bool = True) -> str:
    """One line for the problem: the error, and (``located``) the file and line that raised it."""
    if isinstance(error, MonitorLoadError):
        return str(error)
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"{text} (at {Path(file).name}:{line})" if located else text


def failure_traceback(error: BaseException) -> str:
    """The traceback worth printing with ``--verbose`` and in ``khp run``'s log."""
    if isinstance(error, EvaluatorError) and error.detail:
        return error.detail
    return "".join(traceback.format_exception(error))


def _class_location(monitor: type[Monitor]) -> tuple[str, int] | None:
    try:
        file = inspect.getsourcefile(monitor)
        line = inspect.getsourcelines(monitor)[1]
    except (OSError, TypeError):
        return None
    return (file, line) if file else None


def _in(filename: str, directory: Path) -> bool:
    try:
        return Path(filename).resolve().parent == directory
    except (OSError, ValueError):
        return False
