"""The gunicorn entry point: ``KHP_CONFIG=/etc/khp/khp.yml gunicorn 'kakao_receiver.wsgi:app'``.

Each gunicorn worker process imports this module and so builds its own app and its own
delivery threads; do not use ``--preload`` (threads do not survive the fork). The factory
form ``gunicorn 'kakao_receiver:create_app()'`` does the same.
"""

from __future__ import annotations

from ._app import create_app

app = create_app()
