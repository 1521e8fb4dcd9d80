"""Durations and points in time as people write them."""

from __future__ import annotations

import pytest

from khp.configuration import format_duration, format_time, parse_duration, parse_time

AT = 1795946400.0  # 2026-11-29T10:00:00Z, the time DESIGN §3's examples use


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT10M", 600.0),
        ("PT1H", 3600.0),
        ("PT30S", 30.0),
        ("PT1H30M", 5400.0),
        ("P1D", 86400.0),
        ("P1W", 604800.0),
        ("P1DT2H", 93600.0),
        ("pt10m", 600.0),
        ("10m", 600.0),
        ("1h", 3600.0),
        ("30s", 30.0),
        ("2d", 172800.0),
        ("1h30m", 5400.0),
        ("1d2h3m4s", 93784.0),
        ("1.5h", 5400.0),
        (" 10m ", 600.0),
        ("0s", 0.0),
        (90, 90.0),
        (1.5, 1.5),
        (0, 0.0),
    ],
)
def test_parse_duration_accepts_short_iso_and_seconds(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert isinstance(parse_duration(text), float)


@pytest.mark.parametrize("text", ["", "  ", "abc", "10x", "m", "P", "PT", "1m1h", "10 minutes", "PT10", "-1m", "ten"])
def test_parse_duration_rejects_other_text_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration") as caught:
        parse_duration(text)
    message = str(caught.value)
    assert repr(text) in message
    for form in ("'30s'", "'10m'", "'1h30m'", "'PT10M'"):
        assert form in message


@pytest.mark.parametrize("value", [-1, -0.5])
def test_parse_duration_rejects_negative_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_duration(value)


@pytest.mark.parametrize("value", [True, False])
def test_parse_duration_rejects_booleans(value: bool) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (30, "30s"), (600, "10m"), (5400, "1h30m"), (86400, "1d"), (93784, "1d2h3m4s"), (59.6, "1m")],
)
def test_format_duration_writes_the_short_form(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [1, 59, 60, 61, 3599, 3600, 86399, 86400, 90061, 604800])
def test_format_and_parse_duration_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("value", "epoch"),
    [
        ("2026-11-29T10:00:00Z", AT),
        ("2026-11-29T10:00:00z", AT),
        ("2026-11-29T10:00:00", AT),
        ("2026-11-29T10:00:00+00:00", AT),
        ("2026-11-29T19:00:00+09:00", AT),
        ("2026-11-29 10:00:00Z", AT),
        ("2026-11-29T10:00:00.5Z", AT + 0.5),
        (1795946400, AT),
        (1795946400.25, AT + 0.25),
        ("1795946400", AT),
    ],
)
def test_parse_time_accepts_iso_8601_and_epoch_seconds(value: str | float, epoch: float) -> None:
    assert parse_time(value) == epoch


@pytest.mark.parametrize(
    ("value", "epoch"),
    [("now", AT), ("now-1h", AT - 3600), ("now-PT10M", AT - 600), ("-30m", AT - 1800), (" now-1d ", AT - 86400)],
)
def test_parse_time_is_relative_to_now(value: str, epoch: float) -> None:
    assert parse_time(value, now=AT) == epoch


def test_parse_time_now_defaults_to_the_wall_clock() -> None:
    assert parse_time("now") > AT - 10 * 365 * 86400


@pytest.mark.parametrize("value", ["yesterday", "", "2026-13-01T00:00:00Z", "29/11/2026", True])
def test_parse_time_rejects_other_values(value: object) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time(value)  # type: ignore[arg-type]


def test_parse_time_names_the_accepted_forms() -> None:
    with pytest.raises(ValueError) as caught:
        parse_time("yesterday")
    assert "ISO-8601" in str(caught.value)
    assert "epoch seconds" in str(caught.value)


def test_parse_time_rejects_a_bad_relative_duration() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_time("now-soon", now=AT)


def test_format_time_is_utc_iso_8601_to_the_second() -> None:
    assert format_time(AT) == "2026-11-29T10:00:00Z"
    assert format_time(AT + 0.9) == "2026-11-29T10:00:00Z"
    assert parse_time(format_time(AT)) == AT


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1795946400000, "epoch milliseconds (2026-11-29T10:00:00Z); divide by 1000"),
        ("1795946400000", "epoch milliseconds"),
        (1795946400000000, "micro- or nanoseconds"),
        ("nan", "not a finite number"),
        (float("nan"), "not a finite number"),
        ("inf", "not a finite number"),
        (float("-inf"), "not a finite number"),
        ("1e308", "1970 to 2200"),
        ("99999999999999999999", "1970 to 2200"),
        (10**400, "1970 to 2200"),
        (-1, "before 1970"),
        ("now-1000000d", "'now-1000000d' is not a time: '1000000d' is longer than 100 years"),
        ("now-30000d", "before 1970"),
        ("9999-12-31T23:59:59Z", "1970 to 2200"),
        ("0001-01-01T00:00:00+01:00", "1970 to 2200"),
        ("2200-01-01T00:00:00Z", "1970 to 2200"),
    ],
)
def test_times_outside_1970_to_2200_are_refused_with_the_likely_mistake(value: object, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_time(value, now=AT)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_the_edges_of_the_accepted_range() -> None:
    assert parse_time(0) == 0.0
    assert parse_time("2199-12-31T23:59:59Z") == 7258118399.0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "99999999999999999999d", "P40000D", 4e9])
def test_durations_are_finite_and_under_a_century(value: object) -> None:
    with pytest.raises(ValueError, match=r"not a duration|longer than 100 years"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("epoch", [1e20, -1e20, float("nan"), float("inf")])
def test_format_time_shows_a_number_no_date_can_hold_instead_of_failing(epoch: float) -> None:
    assert format_time(epoch) == f"{epoch!r} (not a date)"
