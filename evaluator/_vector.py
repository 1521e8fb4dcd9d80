"""Vectors: the values monitors compute with, per cluster or per (cluster, host).

A ``Vector`` is lazy: it holds a way to get its elements (usually a running query) and
resolves on first use, so every query a monitor asks for runs in the background at once.
Arithmetic joins on the labels both sides share; comparisons filter and annotate.

A vector also knows its *domain*: the labels whose value is known. That is its elements,
plus, for the member lists of the inventory (``silent_hosts()``, ``hosts_without()``...), the
other hosts the inventory knows, which count 0 (``zeros``). A comparison keeps the domain of
what it compared, so after ``used > 80`` each label is a problem (an element), *ok* (in the
domain, not an element) or *no data* (not in the domain): only *ok* resolves an alert.
"""

from __future__ import annotations

import math
import operator
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any, NamedTuple


class Element(NamedTuple):
    """One value of a vector, with its labels and, after a comparison, what it was compared with.

    A named tuple: a fleet's vectors hold hundreds of thousands of elements, and tuples of strings
    and numbers are quick to build and left alone by the garbage collector.
    """

    cluster: str
    host: str | None
    value: float
    compare: str | None = None
    threshold: float | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The seed's REPL form: ``{'cluster': 'alpha', 'value': 46.9, 'compare': '>', 'threshold': 45}``."""
        shown: dict[str, Any] = {"cluster": self.cluster}
        if self.host is not None:
            shown["host"] = self.host
        shown["value"] = self.value
        if self.compare is not None:
            shown["compare"] = self.compare
            shown["threshold"] = self.threshold
        if self.detail:
            shown["detail"] = self.detail
        return shown


class ThresholdLike:
    """Something that gives a comparison value per cluster (``None`` = do not compare there)."""

    def for_cluster(self, cluster: str) -> float | None:
        raise TypeError(f"{type(self).__name__} gives no per-cluster value")


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


Label = tuple[str, "str | None"]
"""(cluster, host); host is ``None`` for cluster-level elements."""


class Vector:
    """A lazily computed list of ``Element``; prints as the seed's REPL shows it.

    ``domain`` (labels, or a function giving them) adds labels whose value is known although
    they have no element; with ``zeros`` their value is 0 (a member list: not a member), else
    they only mean "compared, and the comparison did not hold".
    """

    __hash__ = None  # type: ignore[assignment]  # comparisons filter, so vectors are not hashable

    def __init__(
        self,
        elements: Sequence[Element] | Callable[[], Sequence[Element]],
        label: str = "",
        *,
        domain: Iterable[Label] | Callable[[], Iterable[Label]] | None = None,
        zeros: bool = False,
    ) -> None:
        self.label = label
        self.zeros = zeros
        self._lock = threading.Lock()
        self._ordered = False  # True when ``_resolve`` gives its elements in label order already
        if callable(elements):
            self._resolve: Callable[[], Sequence[Element]] | None = elements
            self._elements: list[Element] | None = None
        else:
            self._resolve = None
            self._elements = in_order(elements)
        self._domain_of: Callable[[], Iterable[Label]] | None
        if domain is None or callable(domain):
            self._domain_of = domain
        else:
            fixed = tuple(domain)
            self._domain_of = lambda: fixed
        self._domain: frozenset[Label] | None = None

    @classmethod
    def _derived(
        cls,
        elements: Callable[[], list[Element]],
        label: str,
        *,
        domain: Callable[[], Iterable[Label]] | None = None,
        ordered: bool = True,
    ) -> Vector:
        """A vector whose elements come sorted: a query's answer, or a step that keeps order (map, filter, join)."""
        vector = cls(elements, label, domain=domain)
        vector._ordered = ordered
        return vector

    @property
    def elements(self) -> list[Element]:
        """The elements, computing them (and waiting for queries) on first use."""
        if self._elements is None:
            with self._lock:
                if self._elements is None:
                    assert self._resolve is not None
                    found = self._resolve()
                    self._elements = list(found) if self._ordered else in_order(found)
                    self._resolve = None
        return self._elements

    @property
    def domain(self) -> frozenset[Label]:
        """The labels whose value is known: the elements' and those the vector knows hold nothing."""
        if self._domain is None:
            own = {(e.cluster, e.host) for e in self.elements}
            extra = self._domain_of() if self._domain_of is not None else ()
            self._domain = frozenset(own.union(extra))
        return self._domain

    def outcome(self, cluster: str, host: str | None = None) -> bool | None:
        """``True`` (an element), ``False`` (known, no element: *ok* after a comparison) or ``None`` (no data)."""
        label = (cluster, host)
        if any((e.cluster, e.host) == label for e in self.elements):
            return True
        return False if label in self.domain else None

    # -- looking at it ---------------------------------------------------------------------

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    def __len__(self) -> int:
        return len(self.elements)

    def __bool__(self) -> bool:
        return bool(self.elements)

    def __repr__(self) -> str:
        return repr(self.to_list())

    def to_list(self) -> list[dict[str, Any]]:
        return [element.as_dict() for element in self.elements]

    def values(self) -> dict[tuple[str, str | None], float]:
        """``{(cluster, host): value}``; host is ``None`` for cluster-level elements."""
        return {(e.cluster, e.host): e.value for e in self.elements}

    def clusters(self) -> list[str]:
        return sorted({e.cluster for e in self.elements})

    # -- arithmetic ---------------------------------------------------------------------------

    def _arith(
        self, other: object, fn: Callable[[float, float], float | None], symbol: str, reflected: bool = False
    ) -> Vector:
        label = (
            f"({self.label} {symbol} {_label(other)})" if not reflected else f"({_label(other)} {symbol} {self.label})"
        )
        if isinstance(other, Vector):
            return Vector._derived(lambda: _join(self.elements, other.elements, fn), label)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            scalar = float(other)
            pair = (lambda v: fn(scalar, v)) if reflected else (lambda v: fn(v, scalar))
            return Vector._derived(lambda: _map(self.elements, pair), label)
        return NotImplemented

    def __add__(self, other: object) -> Vector:
        return self._arith(other, operator.add, "+")

    def __radd__(self, other: object) -> Vector:
        return self._arith(other, operator.add, "+", reflected=True)

    def __sub__(self, other: object) -> Vector:
        return self._arith(other, operator.sub, "-")

    def __rsub__(self, other: object) -> Vector:
        return self._arith(other, operator.sub, "-", reflected=True)

    def __mul__(self, other: object) -> Vector:
        return self._arith(other, operator.mul, "*")

    def __rmul__(self, other: object) -> Vector:
        return self._arith(other, operator.mul, "*", reflected=True)

    def __truediv__(self, other: object) -> Vector:
        return self._arith(other, _divide, "/")

    def __rtruediv__(self, other: object) -> Vector:
        return self._arith(other, _divide, "/", reflected=True)

    def __neg__(self) -> Vector:
        return Vector._derived(lambda: _map(self.elements, operator.neg), f"-{self.label}")

    def __abs__(self) -> Vector:
        return Vector._derived(lambda: _map(self.elements, abs), f"abs({self.label})")

    # -- comparisons filter -------------------------------------------------------------------

    def _compare(self, other: object, symbol: str) -> Vector:
        test = _OPS[symbol]
        label = f"({self.label} {symbol} {_label(other)})"
        if isinstance(other, Vector):
            pairs = lambda: list(_pairs(self.elements, other.elements))  # noqa: E731
            return Vector._derived(
                lambda: _filter_joined(self.elements, other.elements, test, symbol),
                label,
                domain=lambda: [(lhs.cluster, host) for lhs, _rhs, host in pairs()],
            )
        if isinstance(other, ThresholdLike):
            limit_of: Callable[[str], float | None] = other.for_cluster
        elif isinstance(other, (int, float)) and not isinstance(other, bool):
            limit = other
            limit_of = lambda _cluster: limit  # noqa: E731
        else:
            return NotImplemented
        # a cluster where the threshold is off (None) is compared and found fine: it stays in the domain;
        # the zeros a member list adds come after its elements, so only then is the order not kept
        return Vector._derived(
            lambda: _filter(self._known(), limit_of, test, symbol),
            label,
            domain=lambda: self.domain,
            ordered=not self.zeros,
        )

    def __gt__(self, other: object) -> Vector:
        return self._compare(other, ">")

    def __ge__(self, other: object) -> Vector:
        return self._compare(other, ">=")

    def __lt__(self, other: object) -> Vector:
        return self._compare(other, "<")

    def __le__(self, other: object) -> Vector:
        return self._compare(other, "<=")

    def __eq__(self, other: object) -> Vector:  # type: ignore[override]
        return self._compare(other, "==")

    def __ne__(self, other: object) -> Vector:  # type: ignore[override]
        return self._compare(other, "!=")

    # -- combining ----------------------------------------------------------------------------

    def __or__(self, other: Vector) -> Vector:
        """Elements of either side (the left one where both have the same labels).

        Known where either side has an element, or both sides know the label (three-valued "or").
        """
        if not isinstance(other, Vector):
            return NotImplemented

        def union() -> list[Element]:
            seen = {(e.cluster, e.host): e for e in other.elements}
            seen.update({(e.cluster, e.host): e for e in self.elements})
            return list(seen.values())

        def known() -> frozenset[Label]:
            return _keys(self.elements) | _keys(other.elements) | (self.domain & other.domain)

        return Vector(union, f"({self.label} | {other.label})", domain=known)

    def __and__(self, other: Vector) -> Vector:
        """Elements of the left side whose labels the right side also has (joined as in arithmetic).

        Known where the result has an element, or either side knows the label holds nothing
        (three-valued "and").
        """
        if not isinstance(other, Vector):
            return NotImplemented
        both = lambda: _join(self.elements, other.elements, lambda a, b: a, keep_left=True)  # noqa: E731
        return Vector._derived(both, f"({self.label} & {other.label})", domain=lambda: _and_domain(self, other))

    def unless(self, other: Vector) -> Vector:
        """The elements whose labels ``other`` has no element for (PromQL's ``unless``); the domain stays."""
        if not isinstance(other, Vector):
            raise TypeError(f"unless takes a vector, got {type(other).__name__}")

        def keep() -> list[Element]:
            drop = _keys(other.elements)
            return [e for e in self.elements if (e.cluster, e.host) not in drop]

        return Vector(keep, f"({self.label} unless {other.label})", domain=lambda: self.domain, zeros=self.zeros)

    def _known(self) -> list[Element]:
        """The elements plus, for a vector of ``zeros``, a 0 for every other label of the domain."""
        if not self.zeros:
            return self.elements
        have = _keys(self.elements)
        return [*self.elements, *(Element(c, h, 0.0) for c, h in sorted(self.domain - have, key=_label_order))]


def _keys(elements: Iterable[Element]) -> frozenset[Label]:
    return frozenset((e.cluster, e.host) for e in elements)


def _label_order(label: Label) -> tuple[str, str]:
    return (label[0], label[1] or "")


def _and_domain(left: Vector, right: Vector) -> frozenset[Label]:
    """Labels of ``left & right`` that are known: its elements, and wherever either side is known to fail."""
    result = _keys(_join(left.elements, right.elements, lambda a, b: a, keep_left=True))
    left_false = left.domain - _keys(left.elements)
    right_false = right.domain - _keys(right.elements)
    if not right_false:
        return result | left_false
    probes = [Element(c, h, 0.0) for c, h in left.domain]
    misses = [Element(c, h, 0.0) for c, h in right_false]
    return result | left_false | frozenset((lhs.cluster, host) for lhs, _rhs, host in _pairs(probes, misses))


def _label(other: object) -> str:
    return getattr(other, "label", None) or repr(other)


_LABELS = attrgetter("cluster", "host")


def in_order(elements: Sequence[Element]) -> list[Element]:
    """By cluster, then host, cluster-level elements first."""
    try:
        return sorted(elements, key=_LABELS)  # C-speed; fails only where a cluster has both kinds
    except TypeError:
        return sorted(elements, key=lambda e: (e.cluster, e.host or ""))


def _divide(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _finite(value: float | None) -> bool:
    return value is not None and not math.isnan(value) and not math.isinf(value)


def _map(elements: Sequence[Element], fn: Callable[[float], float | None]) -> list[Element]:
    out = []
    for e in elements:
        value = fn(e.value)
        if _finite(value):
            assert value is not None
            out.append(Element(e.cluster, e.host, float(value), detail=e.detail))
    return out


def _pairs(left: Sequence[Element], right: Sequence[Element]) -> Iterator[tuple[Element, Element, str | None]]:
    """Matching (left, right, host) pairs: same labels, or a cluster-level side broadcast to hosts."""
    by_cluster = {e.cluster: e for e in right if e.host is None}
    by_host = {(e.cluster, e.host): e for e in right if e.host is not None}
    hosts_of: dict[str, list[Element]] = defaultdict(list)
    for e in right:
        if e.host is not None:
            hosts_of[e.cluster].append(e)
    for lhs in left:
        if lhs.host is not None:
            rhs = by_host.get((lhs.cluster, lhs.host)) or by_cluster.get(lhs.cluster)
            if rhs is not None:
                yield lhs, rhs, lhs.host
        else:
            if lhs.cluster in by_cluster:
                yield lhs, by_cluster[lhs.cluster], None
            for rhs in hosts_of.get(lhs.cluster, ()):
                yield lhs, rhs, rhs.host


def _join(
    left: Sequence[Element],
    right: Sequence[Element],
    fn: Callable[[float, float], float | None],
    keep_left: bool = False,
) -> list[Element]:
    out = []
    for lhs, rhs, host in _pairs(left, right):
        if keep_left:
            out.append(lhs._replace(host=host))
            continue
        value = fn(lhs.value, rhs.value)
        if _finite(value):
            assert value is not None
            out.append(Element(lhs.cluster, host, float(value), detail=lhs.detail or rhs.detail))
    return out


def _filter(
    elements: Sequence[Element],
    limit_of: Callable[[str], float | None],
    test: Callable[[float, float], bool],
    symbol: str,
) -> list[Element]:
    out = []
    limits: dict[str, float | None] = {}  # one look-up per cluster, not per host
    for e in elements:
        cluster = e.cluster
        if cluster in limits:
            limit = limits[cluster]
        else:
            limit = limits[cluster] = limit_of(cluster)
        if limit is not None and test(e.value, limit):
            out.append(e._replace(compare=symbol, threshold=limit))
    return out


def _filter_joined(
    left: Sequence[Element], right: Sequence[Element], test: Callable[[float, float], bool], symbol: str
) -> list[Element]:
    return [
        lhs._replace(host=host, compare=symbol, threshold=rhs.value)
        for lhs, rhs, host in _pairs(left, right)
        if test(lhs.value, rhs.value)
    ]
