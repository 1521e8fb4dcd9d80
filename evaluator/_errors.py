"""Errors of the evaluator::

EvaluatorError
 +-- MonitorLoadError     a monitor module cannot be imported or uses an unknown threshold
 +-- ThresholdError       a threshold key that the configuration does not define
 +-- DslError             a metric path or argument the DSL cannot read
"""

from __future__ import annotations


class EvaluatorError(Exception):
    """Base of the evaluator's errors.

    ``where`` is the (file, line) of the rule author's code it is about, when the traceback
    cannot tell (a module that did not import, an ``emit`` resolved after ``run`` returned);
    ``detail`` is a traceback worth showing with ``--verbose``.
    """

    where: tuple[str, int] | None = None
    detail: str = ""

    def __init__(self, *args: object, where: tuple[str, int] | None = None) -> None:
        super().__init__(*args)
        if where is not None:
            self.where = where


class MonitorLoadError(EvaluatorError):
    """A monitor could not be loaded; the message names the monitor (or file) and the reason."""


class ThresholdError(EvaluatorError, KeyError):
    """A threshold key that the configuration does not define."""

    def __str__(self) -> str:
        return str(self.args[0])


class DslError(EvaluatorError, ValueError):
    """A DSL call with an argument it cannot use (a malformed path, an unknown aggregate)."""
