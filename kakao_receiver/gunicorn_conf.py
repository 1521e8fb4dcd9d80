"""gunicorn settings for the receiver: the worker model that survives slow and hostile clients.

    KHP_CONFIG=/etc/khp/khp.yml gunicorn -c python:kakao_receiver.gunicorn_conf --bind 0.0.0.0:8080 \\
        'kakao_receiver.wsgi:app'

Each of ``workers`` processes answers Alertmanager's webhooks in its event loop (one greenlet
each, the webhooks of a round committed together), runs ``threads`` threads for the other
endpoints (``/healthz``, ``/metrics``, the bot), plus its delivery threads. Requests are read
whole by the event loop before anything runs them (``kakao_receiver._worker``): stalled clients
hold nothing, a request that does not arrive within 10 s is answered 408, a body over the limit
413 without reading it. Any setting here can be given again on the command line, which wins
(``--workers 4``).
"""

worker_class = "kakao_receiver._worker.ReceiverWorker"
workers = 2
threads = 4  # endpoints other than the webhook (short: no slow client ever takes a thread)
worker_connections = 1000  # open connections per process, idle and stalled ones included
keepalive = 5  # seconds an idle kept-alive connection stays open
timeout = 30  # seconds without a heartbeat before the master restarts a worker
graceful_timeout = 20  # on SIGTERM, time to finish requests; the outbox keeps the rest
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
control_socket_disable = True  # else every gunicorn master on the host shares ~/.gunicorn/gunicorn.ctl
