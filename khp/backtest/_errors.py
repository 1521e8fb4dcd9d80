"""What can go wrong with a backtest: ``BacktestError -> OverrideError``."""

from __future__ import annotations


class BacktestError(Exception):
    """A backtest that cannot run as asked; the message says what to change."""


class OverrideError(BacktestError, ValueError):
    """A candidate (``--set KEY.warning=85``, ``--pending 10m``) that names nothing known or no value."""
