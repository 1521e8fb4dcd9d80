"""The evaluator: monitors, the DSL they are written in, and the cycle that runs them.

Rule authors import ``Monitor``::

    from evaluator import Monitor

    class KuduMonitor(Monitor):
        def run(self):
            running = self.all("kudu/tserver/server.tablets_num_running")
            self.emit("Too many tablets",
                      warning=running > self.w("kudu_tablets_num_running"),
                      critical=running > self.c("kudu_tablets_num_running"),
                      description="More tablets than recommended")

``Evaluator`` runs every discovered monitor once per cycle, in parallel and within a timeout;
``evaluator.testing`` runs one monitor against given rows for tests.
"""

from ._catalog import CheckInfo, describe_checks
from ._changes import Changes, diff_problems
from ._coverage import Coverage
from ._discovery import (
    BUNDLED_DIR,
    check_thresholds,
    discover_monitors,
    is_broken,
    load_error,
    load_monitors,
    select,
    threshold_keys,
)
from ._errors import DslError, EvaluatorError, MonitorLoadError, ThresholdError
from ._evaluator import (
    MONITOR_FAILED,
    MONITOR_TIMED_OUT,
    SOURCE_UNAVAILABLE,
    CycleRecord,
    CycleResult,
    Evaluator,
    MonitorRecord,
)
from ._feeds import Feeds
from ._lint import Finding, LintResult, lint
from ._monitor import Monitor
from ._problem import DATA_STALE, HEARTBEAT, NO_DATA, RESERVED_CHECKS, SEVERITIES, Problem
from ._thresholds import Thresholds
from ._vector import Element, Vector

__all__ = [
    "BUNDLED_DIR",
    "DATA_STALE",
    "HEARTBEAT",
    "MONITOR_FAILED",
    "MONITOR_TIMED_OUT",
    "NO_DATA",
    "RESERVED_CHECKS",
    "SEVERITIES",
    "SOURCE_UNAVAILABLE",
    "Changes",
    "CheckInfo",
    "Coverage",
    "CycleRecord",
    "CycleResult",
    "DslError",
    "Element",
    "Evaluator",
    "EvaluatorError",
    "Feeds",
    "Finding",
    "LintResult",
    "Monitor",
    "MonitorLoadError",
    "MonitorRecord",
    "Problem",
    "ThresholdError",
    "Thresholds",
    "Vector",
    "check_thresholds",
    "describe_checks",
    "diff_problems",
    "discover_monitors",
    "is_broken",
    "lint",
    "load_error",
    "load_monitors",
    "select",
    "threshold_keys",
]
