"""The gunicorn entry point: ``KHP_CONFIG=/etc/khp/khp.yml gunicorn 'khp.console.wsgi:app'``.

Each worker builds its own app; sessions are signed with ``$KHP_CONSOLE_SECRET`` (or the
variable ``console.secret_key_env`` names), so every worker accepts every other's log-ins.
``khp console`` runs the same app under gunicorn with ``console.listen`` and ``console.workers``.
"""

from __future__ import annotations

from ._app import create_app

app = create_app()
