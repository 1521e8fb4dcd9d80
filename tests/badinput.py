"""Hypothesis strategies for input khp must refuse: times, numbers, JSON lines and khp.yml values.

Each strategy yields only what is surely bad (anything khp would accept is filtered out), so a
property can demand exactly "one message naming what and where, exit 2, nothing written".
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

from khp.configuration import parse_duration, parse_time

LATEST = 7258118400.0  # 2200-01-01: the end of the times khp accepts


def _refused(parse: Any, value: Any) -> bool:
    try:
        parse(value)
    except ValueError:
        return True
    return False


# Text that is no time khp accepts: named mistakes, numbers outside 1970-2200, junk.
BAD_TIME_TEXT = st.one_of(
    st.sampled_from(
        [
            *("nan", "-nan", "inf", "-inf", "1e308", "99999999999999999999", "now-1000000d", "yesterday", "", " "),
            *("now-", "now-5x", "2026-13-01", "1795946400000", "9999-12-31T23:59:59Z", "0001-01-01", "-1"),
            "now-99999999d",
        ]
    ),
    st.floats().filter(lambda f: not (math.isfinite(f) and 0 <= f < LATEST)).map(repr),
    st.integers().filter(lambda i: not 0 <= i < LATEST).map(str),
    st.integers(min_value=20_600, max_value=10**30).map(lambda days: f"now-{days}d"),
    st.text(max_size=30),
).filter(lambda text: _refused(parse_time, text))

BAD_DURATION_TEXT = st.one_of(
    st.sampled_from(["", "soon", "-5m", "5", "5x", "nan", "inf", "1e999", "P", "PT", "99999999999999999999d", "5 m"]),
    st.text(max_size=20),
).filter(lambda text: _refused(parse_duration, text))

# JSON values a record never takes where a string, a number or a time belongs.
BAD_NUMBER = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e301, -1e305, 10**400, True, False, None, "1", [], {}]),
    st.text(max_size=10),
)
BAD_TEXT = st.one_of(
    st.sampled_from(["", None, 0, 1.5, True, [], {}, "a\ud800b", "\udfff"]),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)
BAD_TIME_VALUE = st.one_of(
    BAD_TIME_TEXT,
    st.floats().filter(lambda f: not (math.isfinite(f) and 0 <= f < LATEST)),
    st.integers().filter(lambda i: not 0 <= i < LATEST),
    st.sampled_from([None, True, [], {}, 10**400]),
)

GOOD_METRIC = {
    "time": 1795946400,
    "cluster": "alpha",
    "host": "a-dn1",
    "service": "hdfs",
    "role": "datanode",
    "name": "disk.used_percent",
    "value": 71.5,
}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def bad_metric_line(draw: st.DrawFn) -> bytes:
    """One line no metric record can be read from (as the bytes of a file)."""
    kind = draw(st.sampled_from(["field", "missing", "extra", "bytes", "json"]))
    record: dict[str, Any] = dict(GOOD_METRIC)
    if kind == "field":
        key = draw(st.sampled_from(sorted(GOOD_METRIC)))
        strategy = {"time": BAD_TIME_VALUE, "value": BAD_NUMBER}.get(key, BAD_TEXT)
        record[key] = draw(strategy)
        return _dumps(record)
    if kind == "missing":
        del record[draw(st.sampled_from(sorted(GOOD_METRIC)))]
        return _dumps(record)
    if kind == "extra":
        record[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in GOOD_METRIC))] = 1
        return _dumps(record)
    if kind == "json":
        return _dumps(draw(st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=5))))
    line = draw(st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b))
    return line if line.decode("utf-8", "replace").strip() else b"\xff" + line


def good_metric_line(host: str) -> bytes:
    return _dumps(GOOD_METRIC | {"host": host})


# khp.yml: a value of a type each top-level key never accepts.
NOT_A_MAPPING = st.one_of(
    st.integers(), st.text(min_size=1, max_size=8), st.lists(st.integers(), min_size=1, max_size=3), st.booleans()
)
BAD_TOP_VALUES: dict[str, Any] = {
    "sources": NOT_A_MAPPING,
    "store": st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), min_size=1, max_size=2), st.floats()),
    "monitors": st.one_of(
        st.integers(), st.text(max_size=8), st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2)
    ),
    "evaluation": NOT_A_MAPPING,
    "inventory": NOT_A_MAPPING,
    "alertmanager": NOT_A_MAPPING,
    "routing": NOT_A_MAPPING,
    "silences": NOT_A_MAPPING,
    "exporter": NOT_A_MAPPING,
    "links": NOT_A_MAPPING,
    "thresholds": NOT_A_MAPPING,
    "clusters_dir": st.one_of(
        st.integers(), st.lists(st.integers(), min_size=1, max_size=2), st.just("no-such-directory")
    ),
}
DURATION_KEYS = {
    "evaluation": ("interval", "window", "pending", "monitor_timeout"),
    "alertmanager": ("timeout", "resend_interval", "resolved_resend"),
    "silences": ("max_maintenance", "max_mute"),
    "inventory": ("window",),
}


@st.composite
def bad_khp_yml(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """khp.yml content with one thing wrong, and the top-level key it is under."""
    kind = draw(st.sampled_from(["type", "duration", "unknown", "threshold", "count"]))
    if kind == "type":
        key = draw(st.sampled_from(sorted(BAD_TOP_VALUES)))
        return {key: draw(BAD_TOP_VALUES[key])}, key
    if kind == "duration":
        section = draw(st.sampled_from(sorted(DURATION_KEYS)))
        key = draw(st.sampled_from(DURATION_KEYS[section]))
        value = draw(st.one_of(BAD_DURATION_TEXT, st.sampled_from([-1, math.inf, True, [], {}])))
        return {section: {key: value}}, section
    if kind == "unknown":
        allowed = set(BAD_TOP_VALUES) | {"receiver", "history", "console"}
        return {draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in allowed)): 1}, ""
    if kind == "count":
        key = draw(st.sampled_from(["parallel_monitors", "parallel_queries"]))
        return {
            "evaluation": {key: draw(st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=3)))}
        }, "evaluation"
    level = draw(st.sampled_from(["warning", "critical"]))
    value = draw(
        st.one_of(
            st.text(min_size=1, max_size=5),
            st.booleans(),
            st.lists(st.integers(), min_size=1, max_size=2),
            st.sampled_from([math.nan, math.inf, -math.inf]),
        )
    )
    return {"thresholds": {"druid_slot_used_percent": {level: value}}}, "thresholds"
