"""The embedded store: metrics, logs and process states in one SQLite file (WAL mode).

It is the default data source, so the product runs on a laptop with no servers::

    store = Store("var/khp.db")
    store.load_file("metrics", "metrics.jsonl")   # all or nothing; IngestError names the line
    store.latest_values("kudu", "tserver", "server.tablets_num_running", start, end)
    store.write_bulk(Bulk.of(series, logs, processes))   # many rows at once, a few times faster
"""

from ._bulk import Bulk
from ._cycles import CycleLog
from ._errors import IngestError, StoreError
from ._feeds import FeedLog
from ._ingest import KINDS, iter_records, parse_lines
from ._store import AGGREGATES, Store
from ._wildcard import matches, words

__all__ = [
    "AGGREGATES",
    "KINDS",
    "Bulk",
    "CycleLog",
    "FeedLog",
    "IngestError",
    "Store",
    "StoreError",
    "iter_records",
    "matches",
    "parse_lines",
    "words",
]
