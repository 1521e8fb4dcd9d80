"""The ``history:`` section: defaults, and errors naming the file and the dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from khp.configuration import ConfigError
from khp.history import history_settings
from tests.history.conftest import project_config


def test_embedded_is_the_default(tmp_path: Path) -> None:
    settings = history_settings(project_config(tmp_path))
    assert settings.type == "embedded" and settings.elasticsearch is None
    assert settings.path == tmp_path / "var/khp.db"


def test_elasticsearch_settings_and_their_defaults(tmp_path: Path) -> None:
    config = project_config(
        tmp_path,
        """
        type: elasticsearch
        elasticsearch:
          hosts: ["http://es1:9200", "http://es2:9200"]
          version: 7
          timeout: 30s
          auth: {username: khp, password_env: KHP_ES_PASSWORD}
          index_prefix: ops-alert-history
          spool: /var/spool/khp/history.db
        """,
    )
    settings = history_settings(config, environ={"KHP_ES_PASSWORD": "secret"})
    es = settings.elasticsearch
    assert es is not None
    assert es.connection.hosts == ("http://es1:9200", "http://es2:9200")
    assert es.connection.version == 7 and es.connection.timeout == 30.0
    assert es.connection.basic_auth == ("khp", "secret")
    assert es.connection.media_type == "application/vnd.elasticsearch+json; compatible-with=7"
    assert es.index_prefix == "ops-alert-history"
    assert es.spool == Path("/var/spool/khp/history.db")
    assert es.dead_letter == tmp_path / "var/khp-history-dead-letter.jsonl"  # beside the store
    assert (es.bulk_size, es.page_size) == (500, 1000)
    assert es.where == f"{tmp_path / 'khp.yml'}: history.elasticsearch"


@pytest.mark.parametrize(
    ("section", "key", "problem"),
    [
        ("type: druid", "history.type", "unknown history type 'druid'; known: embedded, elasticsearch"),
        ("kind: embedded", "history.kind", "unknown key; allowed keys here: type, elasticsearch"),
        ("type: elasticsearch\nelasticsearch: {hosts: [es1]}", "history.elasticsearch.hosts[0]", "expected a URL"),
        ("type: elasticsearch\nelasticsearch: {hosts: []}", "history.elasticsearch.hosts", "at least one URL"),
        ("type: elasticsearch\nelasticsearch: {version: 9}", "history.elasticsearch.version", "7 or 8, got 9"),
        ("type: elasticsearch\nelasticsearch: {index: x}", "history.elasticsearch.index", "unknown key"),
        (
            "type: elasticsearch\nelasticsearch: {index_prefix: Alerts}",
            "history.elasticsearch.index_prefix",
            "'Alerts' is not a valid start of an index name",
        ),
        ("type: elasticsearch\nelasticsearch: {page_size: 20000}", "history.elasticsearch.page_size", "at most 10000"),
        ("type: elasticsearch\nelasticsearch: {bulk_size: 0}", "history.elasticsearch.bulk_size", "1 or more"),
        (
            "type: elasticsearch\nelasticsearch: {auth: {api_key_env: KHP_ES_KEY}}",
            "history.elasticsearch.auth.api_key_env",
            "environment variable KHP_ES_KEY is not set",
        ),
        ("elasticsearch", "history", "expected a mapping"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, section: str, key: str, problem: str) -> None:
    config = project_config(tmp_path, section)
    with pytest.raises(ConfigError) as caught:
        history_settings(config, environ={})
    assert caught.value.file == str(tmp_path / "khp.yml")
    assert caught.value.key == key
    assert problem in caught.value.problem
