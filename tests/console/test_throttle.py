"""Log-ins are throttled per user name and per address: 30 wrong passwords are not 30 tries."""

from __future__ import annotations

from khp.console._throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_for_a_user_make_it_wait_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=5, window=900, clock=clock)
    for n in range(5):
        assert throttle.wait("kim", f"10.0.0.{n}") == 0
        throttle.failed("kim", f"10.0.0.{n}")
        clock.now += 10

    assert throttle.wait("kim", "10.0.0.99") == 900 - 50  # per user, whatever the address
    assert throttle.wait("lee", "10.0.0.99") == 0
    clock.now += 900 - 50
    assert throttle.wait("kim", "10.0.0.99") == 0


def test_failures_from_one_address_over_many_names_make_the_address_wait() -> None:
    throttle = LoginThrottle(limit=5, window=900, clock=Clock())
    for n in range(5):
        throttle.failed(f"user{n}", "203.0.113.9")
    assert throttle.wait("anyone", "203.0.113.9") > 0 and throttle.wait("anyone", "203.0.113.10") == 0


def test_a_successful_log_in_clears_the_user_s_count() -> None:
    throttle = LoginThrottle(limit=2, window=900, clock=Clock())
    throttle.failed("kim", "10.0.0.1")
    throttle.succeeded("kim")
    throttle.failed("kim", "10.0.0.2")
    assert throttle.wait("kim", "10.0.0.3") == 0
