"""``open_history(config)``: the history backend ``history.type`` names."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from khp.configuration import Config, ConfigError
from khp.sources._elasticsearch import _client

from ._elasticsearch import ElasticsearchHistory
from ._embedded import EmbeddedHistory
from ._history import History
from ._settings import history_settings


def open_history(
    config: Config,
    *,
    read_only: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> History:
    """The configured history; ``read_only`` for readers (``khp stats``): no template, no spool replay.

    Raises ``ConfigError`` for a bad ``history:`` section and ``HistoryError`` when
    Elasticsearch refuses the index template at start (credentials, version); an
    unreachable Elasticsearch is not an error here: events are spooled until it answers.
    """
    settings = history_settings(config, environ)
    if settings.elasticsearch is None:
        return EmbeddedHistory(settings.path)
    try:
        client = _client(settings.elasticsearch.connection)
    except ValueError as exc:  # the client's own checks of the node URLs
        raise ConfigError(config.file, "history.elasticsearch.hosts", str(exc)) from None
    return ElasticsearchHistory(settings.elasticsearch, client, clock=clock, read_only=read_only)
