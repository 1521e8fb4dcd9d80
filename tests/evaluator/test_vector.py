"""Vectors: printing, arithmetic joined on labels, filtering comparisons, laziness (DESIGN §4)."""

from __future__ import annotations

import pytest

from evaluator import Element, Vector
from evaluator._vector import ThresholdLike


def clusters(**values: float) -> Vector:
    return Vector([Element(cluster, None, float(value)) for cluster, value in values.items()])


def hosts(*triples: tuple[str, str, float]) -> Vector:
    return Vector([Element(cluster, host, float(value)) for cluster, host, value in triples])


def pairs(vector: Vector) -> dict[tuple[str, str | None], float]:
    return vector.values()


# -- printing ---------------------------------------------------------------------------------------


def test_a_cluster_vector_prints_as_the_seed_shows_it() -> None:
    vector = Vector([Element("beta", None, 512.0), Element("alpha", None, 599.0)])
    assert repr(vector) == "[{'cluster': 'alpha', 'value': 599.0}, {'cluster': 'beta', 'value': 512.0}]"
    assert str(vector) == repr(vector)


def test_a_compared_vector_prints_operator_and_threshold() -> None:
    used = clusters(alpha=46.9, beta=44.0)
    assert repr(used > 45) == "[{'cluster': 'alpha', 'value': 46.9, 'compare': '>', 'threshold': 45}]"


def test_a_host_vector_prints_its_hosts_sorted() -> None:
    vector = hosts(("beta", "b1", 1), ("alpha", "a2", 2), ("alpha", "a1", 3))
    assert vector.to_list() == [
        {"cluster": "alpha", "host": "a1", "value": 3.0},
        {"cluster": "alpha", "host": "a2", "value": 2.0},
        {"cluster": "beta", "host": "b1", "value": 1.0},
    ]


def test_detail_is_shown_when_present() -> None:
    assert Element("alpha", "h1", 1.0, detail="zookeeper-server: Exited too quickly").as_dict() == {
        "cluster": "alpha",
        "host": "h1",
        "value": 1.0,
        "detail": "zookeeper-server: Exited too quickly",
    }


def test_an_empty_vector_prints_as_an_empty_list() -> None:
    assert repr(Vector([])) == "[]"
    assert not Vector([])
    assert len(Vector([])) == 0


def test_a_vector_is_iterable_sized_and_truthy_when_not_empty() -> None:
    vector = clusters(alpha=1, beta=2)
    assert [e.cluster for e in vector] == ["alpha", "beta"]
    assert len(vector) == 2
    assert vector
    assert vector.clusters() == ["alpha", "beta"]
    assert pairs(vector) == {("alpha", None): 1.0, ("beta", None): 2.0}


# -- arithmetic -------------------------------------------------------------------------------------


def test_cluster_with_cluster_is_an_inner_join() -> None:
    used = clusters(alpha=30, beta=10)
    total = clusters(alpha=60, gamma=100)
    assert pairs(used / total * 100) == {("alpha", None): 50.0}
    assert pairs(used + total) == {("alpha", None): 90.0}
    assert pairs(used - total) == {("alpha", None): -30.0}
    assert pairs(used * total) == {("alpha", None): 1800.0}


def test_host_with_host_joins_on_cluster_and_host() -> None:
    left = hosts(("alpha", "h1", 10), ("alpha", "h2", 20), ("beta", "h1", 30))
    right = hosts(("alpha", "h1", 1), ("beta", "h2", 2), ("gamma", "h1", 3))
    assert pairs(left + right) == {("alpha", "h1"): 11.0}
    assert pairs(left - right) == {("alpha", "h1"): 9.0}
    assert pairs(left * right) == {("alpha", "h1"): 10.0}
    assert pairs(left / right) == {("alpha", "h1"): 10.0}


def test_a_cluster_side_is_broadcast_to_the_hosts_of_its_cluster() -> None:
    used = hosts(("alpha", "h1", 10), ("alpha", "h2", 20), ("beta", "h1", 5))
    capacity = clusters(alpha=40, gamma=1)
    assert pairs(used / capacity * 100) == {("alpha", "h1"): 25.0, ("alpha", "h2"): 50.0}
    assert pairs(capacity - used) == {("alpha", "h1"): 30.0, ("alpha", "h2"): 20.0}
    assert pairs(capacity / used) == {("alpha", "h1"): 4.0, ("alpha", "h2"): 2.0}


@pytest.mark.parametrize(
    ("compute", "expected"),
    [
        (lambda v: v + 1, {"alpha": 11.0, "beta": 1.0}),
        (lambda v: 1 + v, {"alpha": 11.0, "beta": 1.0}),
        (lambda v: v - 1, {"alpha": 9.0, "beta": -1.0}),
        (lambda v: 100 - v, {"alpha": 90.0, "beta": 100.0}),
        (lambda v: v * 2, {"alpha": 20.0, "beta": 0.0}),
        (lambda v: 2 * v, {"alpha": 20.0, "beta": 0.0}),
        (lambda v: v / 4, {"alpha": 2.5, "beta": 0.0}),
        (lambda v: 50 / v, {"alpha": 5.0}),  # beta is 0: dropped
        (lambda v: v / 0, {}),
        (lambda v: v * 0.5 + 1.5, {"alpha": 6.5, "beta": 1.5}),
        (lambda v: -v, {"alpha": -10.0, "beta": -0.0}),
        (lambda v: abs(v - 20), {"alpha": 10.0, "beta": 20.0}),
    ],
)
def test_scalars_apply_to_every_element_on_either_side(compute, expected: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    result = compute(clusters(alpha=10, beta=0))
    assert isinstance(result, Vector)
    assert {cluster: value for (cluster, _host), value in pairs(result).items()} == expected


def test_division_by_zero_drops_only_that_element() -> None:
    used = clusters(alpha=5, beta=5, gamma=0)
    total = clusters(alpha=10, beta=0, gamma=0)
    assert pairs(used / total) == {("alpha", None): 0.5}
    host_used = hosts(("alpha", "h1", 1), ("alpha", "h2", 2))
    host_total = hosts(("alpha", "h1", 0), ("alpha", "h2", 4))
    assert pairs(host_used / host_total) == {("alpha", "h2"): 0.5}


def test_arithmetic_with_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        clusters(alpha=1) + "1"  # type: ignore[operator]
    with pytest.raises(TypeError):
        clusters(alpha=1) * True  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert clusters(alpha=1) > "1"  # type: ignore[operator]


def test_arithmetic_on_a_compared_vector_drops_the_annotation() -> None:
    scaled = (clusters(alpha=50, beta=10) > 20) * 2
    assert scaled.to_list() == [{"cluster": "alpha", "value": 100.0}]


# -- comparisons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compare", "symbol", "kept"),
    [
        (lambda v: v > 2, ">", [3.0]),
        (lambda v: v >= 2, ">=", [2.0, 3.0]),
        (lambda v: v < 2, "<", [1.0]),
        (lambda v: v <= 2, "<=", [1.0, 2.0]),
        (lambda v: v == 2, "==", [2.0]),
        (lambda v: v != 2, "!=", [1.0, 3.0]),
    ],
)
def test_comparisons_filter_and_annotate(compare, symbol: str, kept: list[float]) -> None:  # type: ignore[no-untyped-def]
    result = compare(clusters(a=1, b=2, c=3))
    assert isinstance(result, Vector)
    assert [e.value for e in result] == kept
    assert {(e.compare, e.threshold) for e in result} == {(symbol, 2)}


def test_a_scalar_on_the_left_is_compared_the_other_way_round() -> None:
    assert (clusters(alpha=46.9, beta=44) > 45).to_list() == [
        {"cluster": "alpha", "value": 46.9, "compare": ">", "threshold": 45}
    ]


def test_comparing_with_another_vector_joins_and_annotates_its_value() -> None:
    heap = hosts(("alpha", "h1", 90), ("alpha", "h2", 50), ("beta", "h1", 99))
    limit = clusters(alpha=80)
    assert (heap > limit).to_list() == [
        {"cluster": "alpha", "host": "h1", "value": 90.0, "compare": ">", "threshold": 80.0}
    ]
    other = hosts(("alpha", "h1", 95), ("alpha", "h2", 40))
    assert (heap >= other).to_list() == [
        {"cluster": "alpha", "host": "h2", "value": 50.0, "compare": ">=", "threshold": 40.0}
    ]
    assert (clusters(alpha=1, beta=5) < clusters(alpha=2, beta=2)).to_list() == [
        {"cluster": "alpha", "value": 1.0, "compare": "<", "threshold": 2.0}
    ]


class PerCluster(ThresholdLike):
    def __init__(self, **limits: float | None) -> None:
        self.limits = limits

    def for_cluster(self, cluster: str) -> float | None:
        return self.limits.get(cluster)


def test_comparing_with_thresholds_uses_each_clusters_value_and_none_disables() -> None:
    used = clusters(alpha=75, beta=75, gamma=75, delta=75)
    result = used > PerCluster(alpha=70, beta=None, gamma=80)
    assert result.to_list() == [{"cluster": "alpha", "value": 75.0, "compare": ">", "threshold": 70}]


def test_comparisons_chain_and_the_last_annotation_wins() -> None:
    used = clusters(a=1, b=5, c=9)
    between = (used > 2) < 8
    assert between.to_list() == [{"cluster": "b", "value": 5.0, "compare": "<", "threshold": 8}]
    ratio = (clusters(a=10, b=30) / clusters(a=100, b=100) * 100) > 20
    assert ratio.to_list() == [{"cluster": "b", "value": 30.0, "compare": ">", "threshold": 20}]


def test_or_keeps_elements_of_either_side_and_and_keeps_the_left_where_both_are() -> None:
    high = clusters(a=10, b=20) > 15
    low = clusters(a=10, c=1) < 5
    assert [e.cluster for e in high | low] == ["b", "c"]
    assert [e.cluster for e in clusters(a=1, b=2) & clusters(b=0, c=0)] == ["b"]
    assert (clusters(a=1, b=2) & clusters(b=0)).to_list() == [{"cluster": "b", "value": 2.0}]


def test_vectors_are_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(clusters(a=1))


# -- laziness ---------------------------------------------------------------------------------------


def test_a_vector_resolves_on_first_use_and_only_once() -> None:
    calls: list[str] = []

    def source() -> list[Element]:
        calls.append("resolved")
        return [Element("alpha", None, 46.9), Element("beta", None, 10.0)]

    vector = Vector(source, "max('x/y/z')")
    derived = ((vector * 2 + 1) / 2 > 20) | (vector < 0)
    assert calls == []
    assert derived.to_list() == [{"cluster": "alpha", "value": 47.4, "compare": ">", "threshold": 20}]
    assert calls == ["resolved"]
    assert len(vector) == 2
    assert list(vector) == list(vector)
    assert calls == ["resolved"]


def test_labels_describe_the_computation() -> None:
    vector = Vector([], "max('a/b/c')") / Vector([], "max('a/b/d')") * 100
    assert vector.label == "((max('a/b/c') / max('a/b/d')) * 100)"
    assert (10 - Vector([], "x")).label == "(10 - x)"
