"""The ``history:`` section of ``khp.yml``, read once into frozen settings.

```yaml
history:
  type: elasticsearch            # or embedded (the default): a table in store.path
  elasticsearch:
    hosts: ["https://es1:9200"]  # or url: ...; version, timeout, retries, auth, verify_certs, ca_certs
    index_prefix: khp-alert-history
    spool: var/khp-history-spool.db
    dead_letter: var/khp-history-dead-letter.jsonl
```

The connection keys are those of ``sources.logs`` (one parser for both); relative paths are
relative to the directory of ``khp.yml``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from khp.configuration import Config, ConfigSection
from khp.sources._elasticsearch import VERSIONS, ElasticsearchOptions, _auth, _hosts

HISTORY_TYPES = ("embedded", "elasticsearch")
_CONNECTION = ("hosts", "url", "version", "timeout", "retries", "auth", "verify_certs", "ca_certs")
_OWN = ("index_prefix", "bulk_size", "page_size", "spool", "dead_letter")
# Lowercase, none of \ / * ? " < > | , # : or space, not starting with - _ +; the month is appended.
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9._-]{0,200}$")


@dataclass(frozen=True)
class ElasticsearchHistorySettings:
    """Where and how the history goes into Elasticsearch."""

    connection: ElasticsearchOptions = field(default_factory=ElasticsearchOptions)
    index_prefix: str = "khp-alert-history"
    bulk_size: int = 500  # events per bulk request
    page_size: int = 1000  # hits per search request when reading back
    spool: Path = Path("var/khp-history-spool.db")
    dead_letter: Path = Path("var/khp-history-dead-letter.jsonl")

    @property
    def where(self) -> str:
        return self.connection.where


@dataclass(frozen=True)
class HistorySettings:
    """``history.type`` and what that backend needs."""

    type: str = "embedded"
    path: Path = Path("var/khp.db")  # the embedded store's file
    elasticsearch: ElasticsearchHistorySettings | None = None


def history_settings(config: Config, environ: Mapping[str, str] | None = None) -> HistorySettings:
    """Validate ``config.components['history']``; a ``ConfigError`` names the file and the dotted key."""
    section = ConfigSection(config.file, "history", config.components.get("history"))
    section.only(("type", "elasticsearch"))
    kind = section.string("type", "embedded")
    if kind not in HISTORY_TYPES:
        raise section.error("type", f"unknown history type {kind!r}; known: {', '.join(HISTORY_TYPES)}")
    if kind == "embedded":
        return HistorySettings(type=kind, path=config.store.path)
    es = section.section("elasticsearch")
    return HistorySettings(type=kind, path=config.store.path, elasticsearch=_elasticsearch(config, es, environ))


def _elasticsearch(
    config: Config, section: ConfigSection, environ: Mapping[str, str] | None
) -> ElasticsearchHistorySettings:
    section.only((*_CONNECTION, *_OWN))
    environ = os.environ if environ is None else environ
    defaults = ElasticsearchOptions()
    version = section.data.get("version", defaults.version)
    if isinstance(version, bool) or version not in VERSIONS:
        raise section.error("version", f"expected the server's major version, 7 or 8, got {version!r}")
    hosts = _hosts(section)
    api_key, basic_auth = _auth(section.section("auth"), environ)
    ca_certs = section.string("ca_certs") if section.has("ca_certs") else None
    if ca_certs is not None and not Path(ca_certs).is_file():
        raise section.error("ca_certs", f"{ca_certs} is not a file; give the PEM file of the CA that signed the server")
    if ca_certs is not None and not any(h.startswith("https:") for h in hosts):
        raise section.error("ca_certs", "only means something with https:// hosts")
    prefix = section.string("index_prefix", ElasticsearchHistorySettings.index_prefix)
    if not _PREFIX.match(prefix):
        raise section.error(
            "index_prefix", f"{prefix!r} is not a valid start of an index name: lowercase letters, digits, . _ -"
        )
    page_size = section.integer("page_size", ElasticsearchHistorySettings.page_size)
    if page_size > 10000:
        raise section.error("page_size", f"at most 10000 (Elasticsearch's index.max_result_window), got {page_size}")
    base = Path(config.file).parent if config.file else Path()
    store_dir = config.store.path.parent
    connection = ElasticsearchOptions(
        hosts=hosts,
        version=version,
        timeout=section.duration("timeout", defaults.timeout),
        retries=section.integer("retries", defaults.retries, minimum=0),
        api_key=api_key,
        basic_auth=basic_auth,
        verify_certs=section.boolean("verify_certs", defaults.verify_certs),
        ca_certs=ca_certs,
        where=f"{config.file}: {section.key}" if config.file else section.key,
    )
    return ElasticsearchHistorySettings(
        connection=connection,
        index_prefix=prefix,
        bulk_size=section.integer("bulk_size", ElasticsearchHistorySettings.bulk_size),
        page_size=page_size,
        spool=_path(section, "spool", base, store_dir / "khp-history-spool.db"),
        dead_letter=_path(section, "dead_letter", base, store_dir / "khp-history-dead-letter.jsonl"),
    )


def _path(section: ConfigSection, name: str, base: Path, default: Path) -> Path:
    if not section.has(name):
        return default
    path = Path(section.string(name)).expanduser()
    return path if path.is_absolute() else base / path
