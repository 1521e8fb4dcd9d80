"""Elasticsearch request bodies for log counts, and aggregation answers read back as samples.

Pure functions, no I/O: ``count_body`` builds the ``_search`` body of a ``LogQuery``;
``read_samples`` turns an answer shaped by the raw-query contract (which ``count_body``'s own
answers follow) into samples. The contract::

    aggregations.by_cluster             a terms aggregation on the cluster field (required)
      buckets[].key                     the cluster
      buckets[].by_host                 optional terms aggregation on the host field:
        buckets[].key                   the host; each host bucket is one host-level sample
      <bucket>.value                    optional single-value metric aggregation ({"value": x}):
                                        the sample's value; without it, the bucket's doc_count

Either every cluster bucket has ``by_host`` (host-level answer) or none has (cluster-level).
A ``value`` of null (a metric over no documents) leaves that bucket out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._model import LogQuery, Sample


class AnswerShapeError(ValueError):
    """An answer does not have the shape the raw-query contract asks for."""


@dataclass(frozen=True)
class LogFields:
    """Names of the log document fields (DESIGN §3) in the index; aggregated ones must be keywords."""

    timestamp: str = "@timestamp"
    message: str = "message"
    cluster: str = "cluster"
    host: str = "host"
    service: str = "service"
    role: str = "role"


def es_time(epoch: float) -> str:
    """``epoch`` as the ISO-8601 UTC string Elasticsearch's ``strict_date_optional_time`` reads, to the millisecond."""
    moment = dt.datetime.fromtimestamp(round(epoch, 3), dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def count_body(query: LogQuery, fields: LogFields, cluster_buckets: int, host_buckets: int) -> dict[str, Any]:
    """The ``_search`` body counting ``query``'s log lines per cluster, and per host when ``query.by == "host"``.

    The pattern goes to a ``wildcard`` query unchanged: on an analyzed message field it is
    matched against each word (token) of the message, which is what "a word anywhere in the
    message" means, so no ``*`` is added around it. The window is absolute, ``(start, end]``.
    """
    filters: list[dict[str, Any]] = [
        {"term": {fields.service: query.service}},
        {"term": {fields.role: query.role}},
        {"wildcard": {fields.message: {"value": query.pattern, "case_insensitive": True}}},
        {
            "range": {
                fields.timestamp: {
                    "gt": es_time(query.start),
                    "lte": es_time(query.end),
                    "format": "strict_date_optional_time",
                }
            }
        },
    ]
    if query.clusters is not None:
        filters.append({"terms": {fields.cluster: list(query.clusters)}})
    by_cluster: dict[str, Any] = {"terms": {"field": fields.cluster, "size": cluster_buckets}}
    if query.by == "host":
        by_cluster["aggs"] = {"by_host": {"terms": {"field": fields.host, "size": host_buckets}}}
    return {"query": {"bool": {"filter": filters}}, "size": 0, "aggs": {"by_cluster": by_cluster}}


def read_samples(answer: Mapping[str, Any]) -> list[Sample]:
    """The samples of a ``_search`` answer shaped by the raw-query contract, sorted by cluster and host."""
    aggregations = answer.get("aggregations")
    if not isinstance(aggregations, Mapping) or "by_cluster" not in aggregations:
        found = ", ".join(sorted(aggregations)) if isinstance(aggregations, Mapping) else "none"
        raise AnswerShapeError(
            f"the answer has no aggregation named 'by_cluster' (aggregations: {found}); "
            "name the terms aggregation on the cluster field 'by_cluster'"
        )
    levels = set()
    samples = []
    for bucket in _buckets(aggregations["by_cluster"], "by_cluster"):
        cluster = _key(bucket)
        levels.add("by_host" in bucket)
        if "by_host" in bucket:
            for host_bucket in _buckets(bucket["by_host"], "by_host"):
                value = _value(host_bucket)
                if value is not None:
                    samples.append(Sample(cluster, _key(host_bucket), value))
        else:
            value = _value(bucket)
            if value is not None:
                samples.append(Sample(cluster, None, value))
    if len(levels) > 1:
        raise AnswerShapeError("some 'by_cluster' buckets have a 'by_host' aggregation and some do not")
    return sorted(samples, key=lambda s: (s.cluster, s.host or ""))


def truncated(answer: Mapping[str, Any]) -> str | None:
    """Which aggregation left documents out of its buckets (``sum_other_doc_count`` > 0), if any."""
    by_cluster = answer.get("aggregations", {}).get("by_cluster", {})
    if by_cluster.get("sum_other_doc_count", 0) > 0:
        return "by_cluster"
    for bucket in by_cluster.get("buckets", ()):
        if bucket.get("by_host", {}).get("sum_other_doc_count", 0) > 0:
            return f"by_host of cluster {_key(bucket)!r}"
    return None


def _buckets(aggregation: Any, name: str) -> list[Mapping[str, Any]]:
    buckets = aggregation.get("buckets") if isinstance(aggregation, Mapping) else None
    if not isinstance(buckets, list) or not all(isinstance(b, Mapping) and "key" in b for b in buckets):
        raise AnswerShapeError(f"'{name}' is not a terms aggregation (its answer has no list of keyed buckets)")
    return buckets


def _key(bucket: Mapping[str, Any]) -> str:
    return str(bucket.get("key_as_string", bucket["key"]))


def _value(bucket: Mapping[str, Any]) -> float | None:
    if "value" not in bucket:
        return float(bucket["doc_count"])
    metric = bucket["value"]
    if not isinstance(metric, Mapping) or "value" not in metric:
        raise AnswerShapeError("the 'value' aggregation is not a single-value metric (its answer has no 'value')")
    value = metric["value"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AnswerShapeError(f"the 'value' aggregation answered {value!r}, not a number")
    return float(value)
