"""The registry of ``khp`` subcommands: which module adds and runs each, and its one-line help.

Kept free of imports so that ``khp --help`` lists every command without loading any of them.
"""

from __future__ import annotations

# name -> ("module:function": the module adds the command's parser with add_parser(sub, common) and
# the function runs it as function(args, config) -> exit status; the line `khp --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("khp._check:run_command", "run every monitor once and print the problems"),
    "run": ("khp._check:run_command", "run the monitors every evaluation.interval, printing changes"),
    "load": ("khp._data:run_command", "load JSON-lines files into the embedded store (all or nothing per file)"),
    "prune": ("khp._data:run_command", "delete stored data older than store.retention"),
    "cycles": ("khp._data:run_command", "show the records of recent cycles"),
    "simulate": ("khp._demo:run_command", "write a simulated fleet with faults into the embedded store"),
    "demo": ("khp._demo:run_command", "simulated fleet + evaluator loop on the embedded store"),
    "repl": ("khp._repl:run_command", "the monitor DSL at a Python prompt"),
    "monitors": ("khp._monitors:run", "list the monitors, their checks' thresholds and where they live"),
    "lint": ("khp._lint:run", "check monitor files and the configuration (for a rules repository's CI)"),
    "test": ("khp._ruletest:run", "run rule test files: given series, expected problems at given times"),
    "alertmanager-config": (
        "khp._routing:run",
        "render alertmanager.yml (routes, inhibition, receivers) from khp.yml and the cluster files",
    ),
    "maintenance": ("khp._silences:run", "put a cluster in maintenance (silence it until a given end)"),
    "mute": ("khp._silences:run", "send only critical (cri) or nothing (off) of one check on one cluster"),
    "unmute": ("khp._silences:run", "end the mutes of one check on one cluster"),
    "stats": (
        "khp._stats:run",
        "the noise ledger: problems detected, notified per room, why the rest were not; per cluster and check",
    ),
    "console": ("khp._console:run", "serve the web console (gunicorn)"),
    "backtest": (
        "khp._backtest:run",
        "replay monitors over stored history: detected, fired, notified, sent; current vs candidate settings",
    ),
    "check-config": ("khp._config_check:run", "read every section as the services will; report errors and warnings"),
    "outbox": ("khp._outbox_command:run", "the receiver's deliveries: list them, send again"),
    "replay": (
        "khp._replay:run",
        "record the history of a past period: the monitors and alert rules at its own time, the notifications"
        " the routes would send",
    ),
    "hints": (
        "khp._backtest:run",
        "noisy checks in the alert history: a pending time or threshold, backtested, that keeps every lasting fault",
    ),
}


def help_of(name: str) -> str:
    """The one-line help of command ``name``, as ``khp --help`` lists it."""
    return COMMANDS[name][1]
