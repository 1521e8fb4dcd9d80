"""A refused silence is answered in the asker's language, without server paths or configuration keys."""

from __future__ import annotations

import re

import pytest

from kakao_receiver.bot._bot import invalid_text
from khp.silences import InvalidSilence

MESSAGE = (
    "maintenance of alpha would last 3d, longer than the 2d allowed by silences.max_maintenance in /srv/khp/khp.yml"
)


@pytest.mark.parametrize("reason", [*InvalidSilence.REASONS, "", "something new"])
def test_every_refused_silence_has_an_answer_in_both_languages(reason: str) -> None:
    error = InvalidSilence(MESSAGE, reason, limit=172800.0, name="alpah", suggestion="alpha", level="loud")
    korean, english = invalid_text(error, "ko"), invalid_text(error, "en")
    assert re.search("[가-힣]", korean), korean
    assert not re.search("[가-힣]", english), english
    for text in (korean, english):
        assert "silences." not in text and "/srv" not in text and "khp.yml" not in text


def test_the_limit_is_a_duration_people_read_and_a_suggestion_is_offered() -> None:
    too_long = InvalidSilence(MESSAGE, "too_long", limit=172800.0)
    assert invalid_text(too_long, "ko") == "너무 깁니다. 최대 2일까지 할 수 있으니 더 짧게 적어 주세요."
    assert invalid_text(too_long, "en") == "That is too long: at most 2d. Give a shorter one."
    unknown = InvalidSilence("unknown cluster 'alpah'", "cluster_unknown", name="alpah", suggestion="")
    assert invalid_text(unknown, "ko") == "'alpah' 클러스터를 모릅니다."
