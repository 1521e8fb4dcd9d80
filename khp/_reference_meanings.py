# ruff: noqa: E501  (one meaning a line reads better than wrapped strings)
"""What each configuration key means, for the generated reference (``khp._reference``).

The keys, their types and defaults come from the readers; only the meaning is written here.
``kind`` and ``default`` are given where the reader cannot say: a key read only when it is
present, or a default computed from other keys. ``tests/docs`` fails when a key the readers
accept has no meaning here, or a meaning names a key they no longer accept.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Meaning:
    text: str
    kind: str = ""  # when the reader's own kind says too little (a key read only when present)
    default: str | None = None  # when the default is computed rather than read


K = "khp.yml"
C = "cluster file"
ENV = "environment variable name"
URL = "http(s) URL"

# (title, key prefixes, scope, introduction), in the order of the page.
SECTIONS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("Top level", ("store", "monitors", "clusters_dir"), K, ""),
    ("sources", ("sources",), K, "Where metrics, logs and process states come from; each kind has its own `type`."),
    ("evaluation", ("evaluation",), K, ""),
    ("inventory", ("inventory",), K, "Which hosts run which roles, besides the cluster files' `hosts:`."),
    (
        "thresholds",
        ("thresholds",),
        K,
        "Fleet-wide changes to the monitors' default thresholds (`khp monitors` lists them).",
    ),
    ("alertmanager", ("alertmanager",), K, "How the alert bridge sends alerts."),
    ("routing", ("routing",), K, "Rendered into Alertmanager's configuration by `khp alertmanager-config`."),
    ("heartbeat", ("heartbeat",), K, ""),
    ("silences", ("silences",), K, ""),
    ("flapping", ("flapping",), K, ""),
    ("exporter and links", ("exporter", "links"), K, ""),
    ("receiver", ("receiver",), K, "The Alertmanager webhook receiver, its outbox and its chat channels."),
    ("console", ("console",), K, "The operator web console (`khp console`)."),
    ("history", ("history",), K, "Where every problem transition and notification is recorded."),
    ("hints", ("hints",), K, "`khp hints` ([tuning.md](../tuning.md))."),
    (
        "Cluster files",
        ("thresholds", "channels", "pending", "routing", "nodata_hold", "stale_after", "hosts"),
        C,
        "`<clusters_dir>/<cluster>.yml`, one per cluster, named after it; every key is optional.",
    ),
)

_DRUID = "with `type: druid`: "
_PROM = "with `type: prometheus`: "
_ES_LOGS = "with `type: elasticsearch`: "
_SUP = "with `type: supervisor`: "

MEANINGS: dict[tuple[str, str], Meaning] = {
    # top level
    (K, "store"): Meaning(
        "the embedded store's file, or a mapping with `path` and `retention`; the state files sit beside it",
        kind="path or mapping",
        default="`var/khp.db`",
    ),
    (K, "store.path"): Meaning("the SQLite file of the embedded store, the alert states and the cycle records"),
    (K, "store.retention"): Meaning("stored data older than this is pruned (`khp prune`, hourly in `khp run`)"),
    (K, "monitors"): Meaning(
        "directories of monitor modules; `bundled` names the bundled ones; an entry may be a mapping with `path` and `source`",
        kind="list of paths or mappings",
        default="`[bundled]`",
    ),
    (K, "monitors[].path"): Meaning("a directory of monitor modules"),
    (K, "monitors[].source"): Meaning(
        "the link template of that directory's monitors, `{path}` relative to it and `{line}`"
    ),
    (K, "clusters_dir"): Meaning("the directory of the cluster files, one `<cluster>.yml` each"),
    # sources
    (K, "sources"): Meaning("one mapping per kind: `metrics`, `logs`, `processes`"),
    (K, "sources.metrics"): Meaning("where metric vectors come from"),
    (K, "sources.metrics.type"): Meaning("`embedded`, `druid` or `prometheus`"),
    (K, "sources.metrics.url"): Meaning(
        _DRUID + "the Broker or Router (the SQL path defaults to `/druid/v2/sql/`); " + _PROM + "the server; required"
    ),
    (K, "sources.metrics.datasource"): Meaning(_DRUID + "the datasource holding the metric rows"),
    (K, "sources.metrics.timeout"): Meaning("one query, enforced by the server and by the client"),
    (K, "sources.metrics.username"): Meaning(_DRUID + "the user of Basic auth; needs `password_env`"),
    (K, "sources.metrics.password_env"): Meaning(_DRUID + "the variable holding that user's password", kind=ENV),
    (K, "sources.metrics.jwt_env"): Meaning(
        _DRUID + "the variable holding a Bearer token, instead of a user and password", kind=ENV
    ),
    (K, "sources.metrics.context"): Meaning(_DRUID + "extra query context, e.g. `{priority: 10}`"),
    (K, "sources.metrics.method"): Meaning(_PROM + "`POST` or `GET` for `/api/v1/query`"),
    (K, "sources.metrics.series"): Meaning(_PROM + "which series holds a metric path `service/role/name`"),
    (K, "sources.metrics.series.metric"): Meaning("one metric name for every path, told apart by labels"),
    (K, "sources.metrics.series.labels"): Meaning("the labels holding the path's three parts"),
    (K, "sources.metrics.series.labels.service"): Meaning("the label holding the service"),
    (K, "sources.metrics.series.labels.role"): Meaning("the label holding the role"),
    (K, "sources.metrics.series.labels.name"): Meaning("the label holding the metric name"),
    (K, "sources.metrics.series.template"): Meaning(
        "instead of `metric` and `labels`: a metric name per path, e.g. `khp_{service}_{role}_{name}`",
        kind="string",
    ),
    (K, "sources.metrics.overrides"): Meaning(_PROM + "the series of single paths, by path"),
    (K, "sources.metrics.overrides.<path>"): Meaning(
        'a selector like `name{label="value"}`, or a mapping with `series` and the labels below',
        kind="selector or mapping",
    ),
    (K, "sources.metrics.overrides.<path>.series"): Meaning("the selector of this path"),
    (K, "sources.metrics.overrides.<path>.cluster_label"): Meaning(
        "the label holding the cluster", default="`sources.metrics.cluster_label`"
    ),
    (K, "sources.metrics.overrides.<path>.host_label"): Meaning(
        "the label holding the host", default="`sources.metrics.host_label`"
    ),
    (K, "sources.metrics.overrides.<path>.strip_port"): Meaning(
        "drop `:port` from the host label's value", default="`sources.metrics.strip_port`"
    ),
    (K, "sources.metrics.cluster_label"): Meaning(_PROM + "the label holding the cluster"),
    (K, "sources.metrics.host_label"): Meaning(_PROM + "the label holding the host"),
    (K, "sources.metrics.strip_port"): Meaning(_PROM + "drop `:port` from the host label's value (`instance`)"),
    (K, "sources.metrics.auth"): Meaning(_PROM + "`token_env`, or `username_env` with `password_env`"),
    (K, "sources.metrics.auth.token_env"): Meaning("the variable holding a Bearer token", kind=ENV),
    (K, "sources.metrics.auth.username_env"): Meaning("the variable holding the Basic auth user", kind=ENV),
    (K, "sources.metrics.auth.password_env"): Meaning("the variable holding the Basic auth password", kind=ENV),
    (K, "sources.logs"): Meaning("where log lines are counted"),
    (K, "sources.logs.type"): Meaning("`embedded` or `elasticsearch`"),
    (K, "sources.logs.hosts"): Meaning(_ES_LOGS + "the nodes, each `scheme://host:port`"),
    (K, "sources.logs.url"): Meaning(_ES_LOGS + "one node, instead of `hosts`", kind=URL),
    (K, "sources.logs.index"): Meaning(_ES_LOGS + "the index or pattern searched"),
    (K, "sources.logs.version"): Meaning(_ES_LOGS + "the server's major version, 7 or 8", kind="7 or 8", default="`8`"),
    (K, "sources.logs.timeout"): Meaning(_ES_LOGS + "one request"),
    (K, "sources.logs.retries"): Meaning(_ES_LOGS + "retries of a request answered 429, 502, 503 or 504"),
    (K, "sources.logs.auth"): Meaning(_ES_LOGS + "`api_key_env`, or `username` with `password_env`"),
    (K, "sources.logs.auth.api_key_env"): Meaning("the variable holding an API key", kind=ENV),
    (K, "sources.logs.auth.username"): Meaning("the user of Basic auth", kind="string"),
    (K, "sources.logs.auth.password_env"): Meaning("the variable holding that user's password", kind=ENV),
    (K, "sources.logs.verify_certs"): Meaning(_ES_LOGS + "check the server's TLS certificate"),
    (K, "sources.logs.ca_certs"): Meaning(
        _ES_LOGS + "the PEM file of the CA that signed the server (https only)", kind="path"
    ),
    (K, "sources.logs.fields"): Meaning(_ES_LOGS + "the document fields khp reads"),
    (K, "sources.logs.fields.timestamp"): Meaning("the time of the line"),
    (K, "sources.logs.fields.cluster"): Meaning("the cluster"),
    (K, "sources.logs.fields.host"): Meaning("the host"),
    (K, "sources.logs.fields.service"): Meaning("the service"),
    (K, "sources.logs.fields.role"): Meaning("the role"),
    (K, "sources.logs.fields.message"): Meaning("the log message"),
    (K, "sources.logs.buckets"): Meaning(_ES_LOGS + "the most buckets of one aggregation"),
    (K, "sources.logs.buckets.clusters"): Meaning("clusters in one answer"),
    (K, "sources.logs.buckets.hosts"): Meaning("hosts in one answer"),
    (K, "sources.processes"): Meaning("where process states come from"),
    (K, "sources.processes.type"): Meaning("`embedded` or `supervisor`"),
    (K, "sources.processes.url"): Meaning(_SUP + "the XML-RPC URL of a host's Supervisor, `{host}` replaced"),
    (K, "sources.processes.addresses"): Meaning(
        _SUP + "`host: address[:port]` for hosts whose name does not resolve to their Supervisor"
    ),
    (K, "sources.processes.hosts"): Meaning(_SUP + "more hosts to ask, by cluster, besides the cluster files'"),
    (K, "sources.processes.hosts.<cluster>"): Meaning("the host names"),
    (K, "sources.processes.username"): Meaning(_SUP + "the user of Basic auth; needs `password_env`", kind="string"),
    (K, "sources.processes.password_env"): Meaning(_SUP + "the variable holding that user's password", kind=ENV),
    (K, "sources.processes.timeout"): Meaning(_SUP + "one host's answer"),
    (K, "sources.processes.parallel"): Meaning(_SUP + "hosts asked at once"),
    # evaluation
    (K, "evaluation"): Meaning("when and how the monitors run"),
    (K, "evaluation.interval"): Meaning("one cycle every interval, at aligned instants"),
    (K, "evaluation.window"): Meaning("a query sees the data of this window before the evaluation time"),
    (K, "evaluation.pending"): Meaning(
        "a problem fires after being present this long (Prometheus' `for:`); an `emit`, a monitor or a cluster file may set its own"
    ),
    (K, "evaluation.monitor_timeout"): Meaning("a monitor still running after this is stopped and reported"),
    (K, "evaluation.parallel_monitors"): Meaning("monitors run at once"),
    (K, "evaluation.parallel_queries"): Meaning("queries run at once"),
    (K, "evaluation.nodata_hold"): Meaning(
        'a firing problem without data stays firing this long, then becomes "No data"'
    ),
    (K, "evaluation.stale_after"): Meaning(
        'a feed silent this long for a cluster is "Data stale"; longer than `window`', default="3 windows"
    ),
    # inventory
    (K, "inventory"): Meaning("what runs where"),
    (K, "inventory.process_pattern"): Meaning(
        "a Supervisor program name's service and role: a regular expression with the groups `service` and `role`"
    ),
    (K, "inventory.process_roles"): Meaning("`program: service/role` for programs the pattern does not name right"),
    (K, "inventory.window"): Meaning("a host or cluster not seen for this long is forgotten"),
    # thresholds
    (K, "thresholds"): Meaning("`<key>: {warning: N, critical: N}`; `null` turns a key off"),
    (K, "thresholds.<key>"): Meaning("a threshold key a monitor declares", kind="mapping or null"),
    (K, "thresholds.<key>.warning"): Meaning(
        "the warning level; `null` turns it off", kind="number or null", default="the monitor's"
    ),
    (K, "thresholds.<key>.critical"): Meaning(
        "the critical level; `null` turns it off", kind="number or null", default="the monitor's"
    ),
    # alertmanager
    (K, "alertmanager"): Meaning("the Alertmanagers every alert is sent to"),
    (K, "alertmanager.urls"): Meaning("every Alertmanager; each gets every alert (an HA pair de-duplicates)"),
    (K, "alertmanager.timeout"): Meaning("one request"),
    (K, "alertmanager.resend_interval"): Meaning(
        "a firing alert is sent again this often (Prometheus' `--rules.alert.resend-delay`)"
    ),
    (K, "alertmanager.resolved_resend"): Meaning("a resolved alert is sent again for this long"),
    (K, "alertmanager.retries"): Meaning(
        "retries of a send that failed to connect, timed out or got 5xx or 429, with a doubling wait"
    ),
    # routing
    (K, "routing"): Meaning("the default rooms and timings"),
    (K, "routing.receiver_url"): Meaning("where Alertmanager posts its webhooks (the receiver)"),
    (K, "routing.credentials_file"): Meaning("the file holding the bearer token Alertmanager sends to the receiver"),
    (K, "routing.channels"): Meaning("the default rooms per severity, each `channel:target`"),
    (K, "routing.channels.warning"): Meaning("rooms of warning alerts"),
    (K, "routing.channels.critical"): Meaning("rooms of critical alerts"),
    (K, "routing.group_wait"): Meaning("Alertmanager's wait before a group's first notification", default="`30s`"),
    (K, "routing.group_interval"): Meaning("Alertmanager's wait before notifying a group's changes", default="`5m`"),
    (K, "routing.repeat_interval"): Meaning("Alertmanager's reminder of a group still firing", default="`4h`"),
    # heartbeat, silences, flapping, exporter, links
    (K, "heartbeat"): Meaning("the evaluator's heartbeat alert, through Alertmanager to the receiver"),
    (K, "heartbeat.group_interval"): Meaning("its route's `group_interval`"),
    (K, "heartbeat.repeat_interval"): Meaning("its route's `repeat_interval`: how often the receiver hears it"),
    (K, "silences"): Meaning("limits of maintenance windows and mutes"),
    (K, "silences.max_maintenance"): Meaning("the longest maintenance window"),
    (K, "silences.max_mute"): Meaning("the longest mute"),
    (K, "flapping"): Meaning("alerts that keep changing state are held firing under one notification"),
    (K, "flapping.changes"): Meaning("more changes than this within `window` is flapping; 0 turns it off"),
    (K, "flapping.window"): Meaning("the period the changes are counted in"),
    (K, "flapping.stable"): Meaning("a flapping alert is released after its problem is stable this long"),
    (K, "exporter"): Meaning("the Prometheus metrics of `khp run`"),
    (K, "exporter.listen"): Meaning(
        "`host:port` of `/metrics`; empty turns it off", kind="host:port or empty", default="`127.0.0.1:9464`"
    ),
    (K, "links"): Meaning("links in problems and messages"),
    (K, "links.source"): Meaning(
        "the link to a monitor's code: `{path}` (relative to the project or `khp.yml`) and `{line}`",
        kind="string",
    ),
    # receiver
    (K, "receiver"): Meaning("read by the receiver (`kakao_receiver`) and `khp check-config`"),
    (K, "receiver.path"): Meaning("the webhook's path", default="the path of `routing.receiver_url`"),
    (K, "receiver.token_file"): Meaning(
        "the file holding the bearer token Alertmanager sends", default="`routing.credentials_file`"
    ),
    (K, "receiver.token_env"): Meaning("the variable holding that token, instead of `token_file`", kind=ENV),
    (K, "receiver.outbox"): Meaning(
        "the outbox's SQLite file", kind="path", default="`khp-outbox.db` beside the store"
    ),
    (K, "receiver.language"): Meaning("the language of messages: `ko` or `en`"),
    (K, "receiver.console_url"): Meaning("links to the web console in messages; empty leaves them out", kind=URL),
    (K, "receiver.alertmanager_url"): Meaning(
        "replaces the webhook's `externalURL` in links, when people cannot open that", kind=URL
    ),
    (K, "receiver.summarize_after"): Meaning("alerts listed in one message; the rest are counted per check"),
    (K, "receiver.duplicate_window"): Meaning(
        "the same status of an alert again to a room within it is a retry and left out",
        default="half the shortest `repeat_interval`",
    ),
    (K, "receiver.blind_after"): Meaning('no heartbeat for this long: "monitoring is blind" to the critical rooms'),
    (K, "receiver.delivery"): Meaning("how the outbox delivers"),
    (K, "receiver.delivery.backoff"): Meaning("the first wait before a retry; it doubles, with jitter"),
    (K, "receiver.delivery.max_backoff"): Meaning("the longest wait between retries"),
    (K, "receiver.delivery.give_up_after"): Meaning(
        "a message of an alert that has resolved, older than this, is given up (`expired`)"
    ),
    (K, "receiver.delivery.lease"): Meaning(
        "how long a claimed message is hidden from other workers; longer than any channel timeout"
    ),
    (K, "receiver.delivery.workers"): Meaning("delivery threads per gunicorn worker process"),
    (K, "receiver.channels"): Meaning("options of each channel plugin, by name; rooms name the plugin"),
    (K, "receiver.channels.kakaowork"): Meaning("KakaoWork bot messages"),
    (K, "receiver.channels.kakaowork.base_url"): Meaning("the KakaoWork API"),
    (K, "receiver.channels.kakaowork.app_key_env"): Meaning("the variable holding the bot's app key", kind=ENV),
    (K, "receiver.channels.kakaowork.timeout"): Meaning("one request"),
    (K, "receiver.channels.kakaowork.max_blocks"): Meaning("blocks per message"),
    (K, "receiver.channels.kakaotalk"): Meaning('KakaoTalk "send to me" memos'),
    (K, "receiver.channels.kakaotalk.base_url"): Meaning("the Kakao API"),
    (K, "receiver.channels.kakaotalk.auth_url"): Meaning("Kakao's token endpoint"),
    (K, "receiver.channels.kakaotalk.client_id_env"): Meaning(
        "the variable holding the app's REST API key; `{target}` makes one per room", kind=ENV
    ),
    (K, "receiver.channels.kakaotalk.client_secret_env"): Meaning(
        "the variable holding the client secret, when the app enforces one", kind=ENV
    ),
    (K, "receiver.channels.kakaotalk.refresh_token_env"): Meaning("the variable holding the refresh token", kind=ENV),
    (K, "receiver.channels.kakaotalk.access_token_env"): Meaning(
        "the variable holding an access token; may be unset (the first send refreshes)", kind=ENV
    ),
    (K, "receiver.channels.kakaotalk.token_file"): Meaning(
        "where refreshed tokens are kept across restarts (`{target}` per room); empty keeps them in memory",
        kind="path or empty",
    ),
    (K, "receiver.channels.kakaotalk.timeout"): Meaning("one request"),
    (K, "receiver.channels.slack"): Meaning("Slack incoming webhooks"),
    (K, "receiver.channels.slack.url_env"): Meaning("the variable holding the webhook URL", kind=ENV),
    (K, "receiver.channels.slack.timeout"): Meaning("one request"),
    (K, "receiver.channels.webhook"): Meaning("a JSON POST to any URL"),
    (K, "receiver.channels.webhook.url"): Meaning("the URL (one of `url` and `url_env`)", default="—"),
    (K, "receiver.channels.webhook.url_env"): Meaning("the variable holding the URL", kind=ENV),
    (K, "receiver.channels.webhook.headers"): Meaning("headers sent with every request"),
    (K, "receiver.channels.webhook.headers_env"): Meaning(
        "headers whose values come from variables: `header: VARIABLE`"
    ),
    (K, "receiver.channels.webhook.timeout"): Meaning("one request"),
    (K, "receiver.channels.console"): Meaning("messages printed (the demo)"),
    (K, "receiver.channels.console.stream"): Meaning("where they print"),
    (K, "receiver.bot"): Meaning("the chat bot: buttons and typed commands"),
    (K, "receiver.bot.callback_path"): Meaning("the KakaoWork bot's Callback URL path"),
    (K, "receiver.bot.skill_path"): Meaning("the Kakao i OpenBuilder skill's path"),
    (K, "receiver.bot.callback_token_env"): Meaning(
        "the variable holding the callback's shared secret; unset, the endpoint refuses everything", kind=ENV
    ),
    (K, "receiver.bot.skill_token_env"): Meaning(
        "the variable holding the skill's shared secret; unset, the endpoint refuses everything", kind=ENV
    ),
    (K, "receiver.bot.language"): Meaning("the language of answers to buttons and modals"),
    (K, "receiver.bot.timeout"): Meaning("one Alertmanager request"),
    (K, "receiver.bot.budget"): Meaning("every Alertmanager request of one answer; under 5s (Kakao's limit)"),
    (K, "receiver.bot.allow"): Meaning("who may act, by cluster; `*` is every cluster"),
    (K, "receiver.bot.allow.<cluster>"): Meaning("ids `kakaowork:<user id>` or `kakaotalk:<bot user key>`"),
    (K, "receiver.bot.viewers"): Meaning("who may read `status` besides them, by cluster; `*` is everyone"),
    (K, "receiver.bot.viewers.<cluster>"): Meaning("ids, or `*`"),
    # console
    (K, "console"): Meaning("at least one of `users` and `trusted_header` is needed"),
    (K, "console.listen"): Meaning("where `khp console` serves"),
    (K, "console.workers"): Meaning("gunicorn worker processes"),
    (K, "console.users"): Meaning("log-in users by name"),
    (K, "console.users.<user>"): Meaning("one user"),
    (K, "console.users.<user>.password_hash"): Meaning("a werkzeug password hash (`generate_password_hash`)"),
    (K, "console.trusted_header"): Meaning(
        "the header a trusted reverse proxy sets to the user's name; only on loopback or with `trusted_proxies`"
    ),
    (K, "console.trusted_proxies"): Meaning("addresses or networks of the proxies whose header is believed"),
    (K, "console.secret_key_env"): Meaning("the variable holding the session-signing key", kind=ENV),
    (K, "console.secure_cookie"): Meaning("send the session cookie over HTTPS only"),
    (K, "console.session_lifetime"): Meaning("how long a log-in lasts"),
    (K, "console.alertmanager_config"): Meaning(
        "the file every Alertmanager reads: room edits re-render it and reload them; unset, rooms are read-only"
    ),
    # history
    (K, "history"): Meaning("the alert history"),
    (K, "history.type"): Meaning("`embedded` (a table in the store) or `elasticsearch` (monthly indices)"),
    (K, "history.elasticsearch"): Meaning(
        "with `type: elasticsearch`: the connection keys are those of `sources.logs`"
    ),
    (K, "history.elasticsearch.hosts"): Meaning("the nodes, each `scheme://host:port`"),
    (K, "history.elasticsearch.url"): Meaning("one node, instead of `hosts`", kind=URL),
    (K, "history.elasticsearch.version"): Meaning("the server's major version, 7 or 8", kind="7 or 8", default="`8`"),
    (K, "history.elasticsearch.timeout"): Meaning("one request"),
    (K, "history.elasticsearch.retries"): Meaning("retries of a request answered 429, 502, 503 or 504"),
    (K, "history.elasticsearch.auth"): Meaning("`api_key_env`, or `username` with `password_env`"),
    (K, "history.elasticsearch.auth.api_key_env"): Meaning("the variable holding an API key", kind=ENV),
    (K, "history.elasticsearch.auth.username"): Meaning("the user of Basic auth"),
    (K, "history.elasticsearch.auth.password_env"): Meaning("the variable holding that user's password", kind=ENV),
    (K, "history.elasticsearch.verify_certs"): Meaning("check the server's TLS certificate"),
    (K, "history.elasticsearch.ca_certs"): Meaning(
        "the PEM file of the CA that signed the server (https only)", kind="path"
    ),
    (K, "history.elasticsearch.index_prefix"): Meaning("indices are `<prefix>-YYYY.MM`"),
    (K, "history.elasticsearch.bulk_size"): Meaning("events per bulk request"),
    (K, "history.elasticsearch.page_size"): Meaning("events per search page; at most 10000"),
    (K, "history.elasticsearch.spool"): Meaning(
        "events wait here (SQLite) until Elasticsearch takes them",
        kind="path",
        default="`khp-history-spool.db` beside the store",
    ),
    (K, "history.elasticsearch.dead_letter"): Meaning(
        "events Elasticsearch refused, one JSON a line",
        kind="path",
        default="`khp-history-dead-letter.jsonl` beside the store",
    ),
    # hints
    (K, "hints"): Meaning("how `khp hints` judges a suggestion"),
    (K, "hints.lasting"): Meaning("a suggestion must keep every alert that fired and lasted this long"),
    # cluster files
    (C, "thresholds"): Meaning("this cluster's own levels, as in `khp.yml`; `null` turns a key off here"),
    (C, "thresholds.<key>"): Meaning("a threshold key", kind="mapping or null"),
    (C, "thresholds.<key>.warning"): Meaning(
        "the warning level here; `null` turns it off", kind="number or null", default="`khp.yml`'s"
    ),
    (C, "thresholds.<key>.critical"): Meaning(
        "the critical level here; `null` turns it off", kind="number or null", default="`khp.yml`'s"
    ),
    (C, "channels"): Meaning("this cluster's rooms per severity; a level it does not set uses `routing.channels`"),
    (C, "channels.warning"): Meaning("rooms of its warning alerts"),
    (C, "channels.critical"): Meaning("rooms of its critical alerts"),
    (C, "pending"): Meaning("this cluster's pending time", default="`evaluation.pending`"),
    (C, "routing"): Meaning("this cluster's own Alertmanager timings"),
    (C, "routing.group_wait"): Meaning("its `group_wait`", default="`routing.group_wait`"),
    (C, "routing.group_interval"): Meaning("its `group_interval`", default="`routing.group_interval`"),
    (C, "routing.repeat_interval"): Meaning("its `repeat_interval`", default="`routing.repeat_interval`"),
    (C, "nodata_hold"): Meaning("this cluster's hold without data", default="`evaluation.nodata_hold`"),
    (C, "stale_after"): Meaning("how long its feeds may be silent", default="`evaluation.stale_after`"),
    (C, "hosts"): Meaning("what should run where: `host: [service/role, ...]` (the inventory)"),
    (C, "hosts.<host>"): Meaning("the roles of that host"),
}
