"""PromQL for khp's metric queries, built so that no path, label value or cluster name can change its shape.

Pure: this module does no I/O. ``SeriesMap`` says which series holds ``service/role/name``;
``latest_expression`` turns one into the query the Prometheus source sends::

    >>> series = SeriesMap().series("kudu", "tserver", "server.tablets_num_running")
    >>> latest_expression(series, 599_999, "max", ("alpha",))  # doctest: +NORMALIZE_WHITESPACE
    'max by (cluster) (max by (cluster, host) (last_over_time(khp_metric{service="kudu", role="tserver",
     name="server.tablets_num_running", cluster!="", host!="", cluster=~"alpha"}[599999ms]) < Inf > -Inf))'
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
AGGREGATES = ("max", "min", "sum", "avg", "count")
TEMPLATE_FIELDS = ("service", "role", "name")
# A label of khp's own, holding the host once its port is cut off; it never clashes with a real
# label because Prometheus reserves names starting with "__".
STRIPPED_HOST = "__khp_host"
_NOT_IN_NAME = re.compile(r"[^a-zA-Z0-9_:]")
_NAME_AT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_AT = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")
_OPERATORS = ("=~", "!~", "!=", "=")  # longest first


def metric_name(text: str) -> str:
    """``text`` made a valid metric name: each character Prometheus does not allow becomes ``_``.

    >>> metric_name("khp_host_os_cpu.user"), metric_name("9lives")
    ('khp_host_os_cpu_user', '_9lives')
    """
    name = _NOT_IN_NAME.sub("_", text)
    return name if name and not name[0].isdigit() else f"_{name}"


def quote(value: str) -> str:
    """``value`` as a double-quoted PromQL string literal: quotes, backslashes and control characters escaped."""
    out = []
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def regex_literal(value: str) -> str:
    """A regular expression (RE2) matching exactly ``value``, like Go's ``regexp.QuoteMeta``."""
    return "".join("\\" + char if char in _RE2_SPECIAL else char for char in value)


@dataclass(frozen=True)
class Matcher:
    """``label op "value"``; ``op`` is one of ``= != =~ !~``."""

    label: str
    op: str
    value: str

    def render(self) -> str:
        return f"{self.label}{self.op}{quote(self.value)}"


@dataclass(frozen=True)
class Selector:
    """An instant vector selector: a metric name (may be empty) and label matchers."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    def where(self, *more: Matcher) -> Selector:
        return Selector(self.metric, self.matchers + more)

    def render(self) -> str:
        return f"{self.metric}{{{', '.join(m.render() for m in self.matchers)}}}"


def parse_selector(text: str) -> Selector:
    """Read ``metric{label="value", ...}`` (name or matchers may be left out); ``ValueError`` says what is wrong.

    Only a selector is accepted, so an override in the configuration cannot smuggle in
    functions or operators; values are re-quoted when the selector is rendered.
    """
    position = _skip_space(text, 0)
    match = _NAME_AT.match(text, position)
    metric = match.group() if match else ""
    position = _skip_space(text, match.end() if match else position)
    matchers: list[Matcher] = []
    if position < len(text) and text[position] == "{":
        position = _skip_space(text, position + 1)
        while position < len(text) and text[position] != "}":
            found = _LABEL_AT.match(text, position)
            if not found:
                raise ValueError(f"expected a label name at character {position + 1} of {text!r}")
            position = _skip_space(text, found.end())
            op = next((o for o in _OPERATORS if text.startswith(o, position)), None)
            if op is None:
                raise ValueError(f"expected one of = != =~ !~ at character {position + 1} of {text!r}")
            value, position = _string(text, _skip_space(text, position + len(op)))
            matchers.append(Matcher(found.group(), op, value))
            position = _skip_space(text, position)
            if position < len(text) and text[position] == ",":
                position = _skip_space(text, position + 1)
            elif position < len(text) and text[position] != "}":
                raise ValueError(f"expected ',' or '}}' at character {position + 1} of {text!r}")
        if position >= len(text):
            raise ValueError(f"missing '}}' at the end of {text!r}")
        position = _skip_space(text, position + 1)
    if position != len(text):
        raise ValueError(f'unexpected {text[position:]!r} in {text!r}; write a selector like name{{label="value"}}')
    if not metric and not matchers:
        raise ValueError(f'{text!r} names no metric; write a selector like name{{label="value"}}')
    return Selector(metric, tuple(matchers))


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'"}


def _string(text: str, position: int) -> tuple[str, int]:
    """A quoted string at ``position`` (``"..."``, ``'...'`` or raw `` `...` ``) and the position after it."""
    if position >= len(text) or text[position] not in "\"'`":
        raise ValueError(f"expected a quoted value at character {position + 1} of {text!r}")
    delimiter = text[position]
    out = []
    position += 1
    while position < len(text) and text[position] != delimiter:
        char = text[position]
        if char == "\\" and delimiter != "`":
            code = text[position + 1 : position + 2]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                position += 2
                continue
            width = {"x": 2, "u": 4, "U": 8}.get(code)
            digits = text[position + 2 : position + 2 + (width or 0)]
            if width is None or len(digits) != width or not all(c in string.hexdigits for c in digits):
                raise ValueError(f"unknown escape at character {position + 1} of {text!r}")
            out.append(chr(int(digits, 16)))
            position += 2 + width
            continue
        out.append(char)
        position += 1
    if position >= len(text):
        raise ValueError(f"unterminated string in {text!r}")
    return "".join(out), position + 1


@dataclass(frozen=True)
class Series:
    """Where one metric path lives: its selector and the labels naming cluster and host."""

    selector: Selector
    cluster_label: str = "cluster"
    host_label: str = "host"
    strip_port: bool = False


@dataclass(frozen=True)
class SeriesMap:
    """``service/role/name`` -> ``Series``: a per-path override, else a name template, else one metric with labels.

    ``template`` (e.g. ``khp_{service}_{role}_{name}``) makes the metric name, invalid
    characters replaced by ``_``; without it every path is ``metric`` with the parts in the
    ``labels`` (``service``, ``role``, ``name`` -> label names), which keeps dotted names as they are.
    """

    metric: str = "khp_metric"
    labels: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({part: part for part in TEMPLATE_FIELDS})
    )
    template: str | None = None
    overrides: Mapping[str, Series] = field(default_factory=lambda: MappingProxyType({}))
    cluster_label: str = "cluster"
    host_label: str = "host"
    strip_port: bool = False

    def series(self, service: str, role: str, name: str) -> Series:
        override = self.overrides.get(f"{service}/{role}/{name}")
        if override is not None:
            return override
        parts = {"service": service, "role": role, "name": name}
        if self.template is not None:
            selector = Selector(metric_name(self.template.format(**parts)))
        else:
            selector = Selector(
                self.metric, tuple(Matcher(self.labels[part], "=", parts[part]) for part in TEMPLATE_FIELDS)
            )
        return Series(selector, self.cluster_label, self.host_label, self.strip_port)


def latest_expression(series: Series, range_ms: int, aggregate: str | None, clusters: Sequence[str] | None) -> str:
    """Each host's latest finite value in the ``range_ms`` up to the evaluation time, per cluster if ``aggregate``.

    Several series of one host (another port, another job) count once, with their largest
    value, so that ``count`` counts hosts and ``sum`` adds each host once.
    """
    if aggregate is not None and aggregate not in AGGREGATES:
        raise ValueError(f"unknown aggregate {aggregate!r}; use one of {', '.join(AGGREGATES)}")
    cluster, host = series.cluster_label, series.host_label
    selector = series.selector.where(Matcher(cluster, "!=", ""), Matcher(host, "!=", ""))
    if clusters is not None:
        selector = selector.where(Matcher(cluster, "=~", "|".join(regex_literal(c) for c in clusters)))
    # Comparing with the infinities drops NaN and +-Inf before anything is aggregated.
    latest = f"last_over_time({selector.render()}[{range_ms}ms]) < Inf > -Inf"
    if series.strip_port:
        latest = f'label_replace({latest}, "{STRIPPED_HOST}", "$1", {quote(host)}, "(.+?)(?::[0-9]+)?")'
        host = STRIPPED_HOST
    per_host = f"max by ({cluster}, {host}) ({latest})"
    return per_host if aggregate is None else f"{aggregate} by ({cluster}) ({per_host})"


def result_host_label(series: Series) -> str:
    """The label of ``latest_expression``'s answer that holds the host."""
    return STRIPPED_HOST if series.strip_port else series.host_label
