"""Word wildcards as Elasticsearch's wildcard query on an analyzed message matches them."""

from __future__ import annotations

import pytest

from khp.store import matches, words

SLOW = 'ipc.RpcServer: (responseTooSlow): {"call":"Multi(...)","processingtimems":10012}'
LARGE = "ipc.RpcServer: (responseTooLarge)"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("responseToo*", SLOW),
        ("responseToo*", LARGE),
        ("responseToo*", "(responseTooSlow)"),
        ("RESPONSETOO*", "(responsetooslow)"),
        ("responsetoo*", "(ResponseTooSlow)"),
        ("responseTooSlo?", "(responseTooSlow)"),
        ("response?ooSlow", "(responseTooSlow)"),
        ("*TooSlow", "(responseTooSlow)"),
        ("*too*", "(responseTooSlow)"),
        ("responseTooSlow", "warn (responseTooSlow) again"),
        ("ipc.rpcserver", SLOW),
        ("ipc.*", SLOW),
        ("exited", "Exited too quickly"),
        ("quick*", "Exited too quickly"),
        ("*", "anything"),
        ("hbase:meta", "Region hbase:meta,,1 is in transition"),
        ("hbase:*", "Region hbase:meta,,1 is in transition"),
        ("1,000", "queue of 1,000 calls"),
    ],
)
def test_a_pattern_matches_a_word_anywhere_ignoring_case(pattern: str, message: str) -> None:
    assert matches(pattern, message)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("response", "(responseTooSlow)"),
        ("responseToo", "(responseTooSlow)"),
        ("TooSlow", "(responseTooSlow)"),
        ("responseToo*", "xresponseTooSlow"),
        ("responseTooSl?", "(responseTooSlow)"),
        ("responseTooSlow?", "(responseTooSlow)"),
        ("rpcserver", SLOW),
        ("ipc.r*", "ipcxrpc"),
        ("a+b", "aab"),
        ("responseToo*", ""),
        ("*", ""),
        ("too quickly", "Exited too quickly"),
        ("meta", "Region hbase:meta,,1 is in transition"),
        ("000", "queue of 1,000 calls"),
    ],
)
def test_a_pattern_must_match_a_whole_word(pattern: str, message: str) -> None:
    assert not matches(pattern, message)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (SLOW, ["ipc.rpcserver", "responsetooslow", "call", "multi", "processingtimems", "10012"]),
        (LARGE, ["ipc.rpcserver", "responsetoolarge"]),
        ("It's 5.0 GB, done.", ["it's", "5.0", "gb", "done"]),
        ("", []),
        ("hbase:meta,,1 at 10:30 took 1,000 ms", ["hbase:meta", "1", "at", "10", "30", "took", "1,000", "ms"]),
    ],
)
def test_words_are_lowercase_tokens(message: str, expected: list[str]) -> None:
    assert words(message) == expected
