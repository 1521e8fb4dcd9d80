"""The web console: the fleet, each cluster's problems, silences, thresholds and rooms, the history.

A Flask app run under gunicorn (``khp console`` or ``gunicorn 'khp.console.wsgi:app'`` with
``KHP_CONFIG``)::

    app = create_app(load_config("khp.yml"))    # GET /, /clusters/<name>, /history; forms POST

Pages read the alert bridge's ``alert_states`` table (read-only), Alertmanager's silences and
the history. Forms mute and unmute problems (CRI / OFF) and start and end maintenance through
``SilenceService``, and edit a cluster's thresholds in its file (atomically; every worker
reloads a changed file before its next request). Every change is a history ``action`` with
the user as actor. Users log in with a password (``console.users``, werkzeug hashes) or come
from a trusted proxy header; every form carries a CSRF token.

Pure parts (no Flask, no I/O): ``set_threshold`` (the YAML edit), ``parse_entry``,
``fleet``, ``timeline`` and ``svg``.

Errors::

    ConfigError (configuration)   a bad ``console:`` setting or a missing secret, naming the file and key
    ThresholdRefused              a threshold edit not saved (bad value, unwritable file): the file is unchanged
    ClusterFileError              a cluster file that cannot be read, edited or written
"""

from khp.configuration import LiveConfig

from ._app import create_app
from ._chart import Bucket, svg, timeline
from ._clusterfile import ClusterFileError, set_threshold, write_atomically
from ._fleet import ClusterSummary, fleet
from ._problems import CurrentProblem, read_problems
from ._service import ConsoleService, ThresholdRefused
from ._settings import ConsoleSettings, console_settings, secret_key
from ._thresholds import ThresholdInputError, parse_entry

__all__ = [
    "Bucket",
    "ClusterFileError",
    "ClusterSummary",
    "ConsoleService",
    "ConsoleSettings",
    "CurrentProblem",
    "LiveConfig",
    "ThresholdInputError",
    "ThresholdRefused",
    "console_settings",
    "create_app",
    "fleet",
    "parse_entry",
    "read_problems",
    "secret_key",
    "set_threshold",
    "svg",
    "timeline",
    "write_atomically",
]
