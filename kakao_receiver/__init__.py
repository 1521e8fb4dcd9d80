"""The khp receiver: Alertmanager webhooks in, chat messages out (KakaoWork, KakaoTalk, plugins).

A Flask app run under gunicorn (``KHP_CONFIG=khp.yml gunicorn -w 2 'kakao_receiver.wsgi:app'``)::

    app = create_app(load_config("khp.yml"))     # POST /alertmanager, GET /healthz, the chat bot

A webhook is answered 200 only once its message for every room is committed to the durable
outbox; delivery threads send each message once per room, retry with backoff and record
``notified`` / ``failed`` history events. Pure parts: ``parse_webhook``, ``compose`` and each
channel's ``render``. Channel plugins: ``kakao_receiver.channels``; the bot: ``kakao_receiver.bot``.

Errors::

    ConfigError (configuration)   a bad ``receiver:`` setting, naming the file and the key
    WebhookError                  a body that is not Alertmanager's webhook (answered 400)
    DeliveryError                 a channel did not deliver (``retry_after``, ``permanent``)
    OutboxError                   the outbox file cannot be used (answered 503: Alertmanager retries)
"""

from ._app import create_app
from ._channel import Channel, DeliveryError, Room
from ._content import Links, MessageContent, compose
from ._outbox import OutboxError
from ._settings import DeliverySettings, ReceiverSettings, receiver_settings
from ._webhook import Alert, Notification, WebhookError, parse_webhook

__all__ = [
    "Alert",
    "Channel",
    "DeliveryError",
    "DeliverySettings",
    "Links",
    "MessageContent",
    "Notification",
    "OutboxError",
    "ReceiverSettings",
    "Room",
    "WebhookError",
    "compose",
    "create_app",
    "parse_webhook",
    "receiver_settings",
]
