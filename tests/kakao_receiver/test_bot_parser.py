"""The chat command parser and chat durations: pure, many utterances, Korean and English."""

from __future__ import annotations

import pytest

from kakao_receiver.bot import (
    EndMaintenance,
    Help,
    Mute,
    ParseError,
    StartMaintenance,
    Status,
    Unmute,
    parse_chat_duration,
    parse_command,
)


@pytest.mark.parametrize(
    ("utterance", "command"),
    [
        ("점검 alpha 2h 디스크 교체", StartMaintenance("alpha", 7200, "디스크 교체", "ko")),
        ("점검 alpha 2시간 디스크 교체", StartMaintenance("alpha", 7200, "디스크 교체", "ko")),
        ("점검 alpha 2 시간 디스크  교체", StartMaintenance("alpha", 7200, "디스크  교체", "ko")),
        ("점검 2h alpha 디스크 교체", StartMaintenance("alpha", 7200, "디스크 교체", "ko")),
        ("점검시작 beta 1일 랙 이전", StartMaintenance("beta", 86400, "랙 이전", "ko")),
        ("/점검 alpha 30분 확인", StartMaintenance("alpha", 1800, "확인", "ko")),
        ("maint alpha 1h30m disk swap", StartMaintenance("alpha", 5400, "disk swap", "en")),
        ("MAINTENANCE alpha 1d rack move", StartMaintenance("alpha", 86400, "rack move", "en")),
        ("maint alpha 2 hours swap", StartMaintenance("alpha", 7200, "swap", "en")),
        ("maint alpha PT90M iso", StartMaintenance("alpha", 5400, "iso", "en")),
        ("점검해제 alpha", EndMaintenance("alpha", "ko")),
        ("점검종료 alpha", EndMaintenance("alpha", "ko")),
        ("점검 해제 alpha", EndMaintenance("alpha", "ko")),
        ("점검 끝 alpha", EndMaintenance("alpha", "ko")),
        ("unmaint alpha", EndMaintenance("alpha", "en")),
        ("maint end alpha", EndMaintenance("alpha", "en")),
        ('mute "Too many tablets" alpha cri 1d', Mute("Too many tablets", "alpha", "cri", 86400, "", "en")),
        ('mute "Too many tablets" alpha off 2h', Mute("Too many tablets", "alpha", "off", 7200, "", "en")),
        ("mute 'Too many tablets' alpha 2h off", Mute("Too many tablets", "alpha", "off", 7200, "", "en")),
        ('mute "Too many tablets" alpha 2h', Mute("Too many tablets", "alpha", "off", 7200, "", "en")),
        ("mute “Too many tablets” alpha 심각만 1일", Mute("Too many tablets", "alpha", "cri", 86400, "", "ko")),
        (
            "mute \u2018Too many tablets\u2019 alpha off 30분 재시작",
            Mute("Too many tablets", "alpha", "off", 1800, "재시작", "ko"),
        ),
        ('mute “Too many tablets" alpha off 1h', Mute("Too many tablets", "alpha", "off", 3600, "", "en")),
        (
            "mute Too many tablets alpha cri 1d rebalancing",
            Mute("Too many tablets", "alpha", "cri", 86400, "rebalancing", "en"),
        ),
        ("mute Slot alpha 1h", Mute("Slot", "alpha", "off", 3600, "", "en")),
        ("뮤트 「Too many tablets」 alpha critical 2h", Mute("Too many tablets", "alpha", "cri", 7200, "", "ko")),
        ('mute "Disk; usage=90%" beta off 1h why', Mute("Disk; usage=90%", "beta", "off", 3600, "why", "en")),
        ('unmute "Too many tablets" alpha', Unmute("Too many tablets", "alpha", "en")),
        ("unmute Too many tablets alpha", Unmute("Too many tablets", "alpha", "en")),
        ('뮤트해제 "Too many tablets" alpha', Unmute("Too many tablets", "alpha", "ko")),
        ('뮤트 해제 "Too many tablets" alpha', Unmute("Too many tablets", "alpha", "ko")),
        ("상태 alpha", Status("alpha", "ko")),
        ("현황 alpha", Status("alpha", "ko")),
        ("status alpha", Status("alpha", "en")),
        ("도움말", Help("ko")),
        ("help", Help("en")),
        ("?", Help("en")),
        ("", Help("en")),
        ("   ", Help("en")),
    ],
)
def test_commands(utterance: str, command: object) -> None:
    assert parse_command(utterance, language="en") == command


def test_mute_answers_in_the_default_language_unless_the_input_is_korean() -> None:
    assert parse_command('mute "X" alpha 1h') == Mute("X", "alpha", "off", 3600, "", "ko")  # Korean by default
    assert parse_command('mute "X" alpha 1h', language="en") == Mute("X", "alpha", "off", 3600, "", "en")
    assert parse_command('mute "X" alpha 1h 작업', language="en") == Mute("X", "alpha", "off", 3600, "작업", "ko")
    assert parse_command("점검 alpha 1h x", language="en") == StartMaintenance("alpha", 3600, "x", "ko")
    assert parse_command("maint alpha 1h x", language="ko") == StartMaintenance("alpha", 3600, "x", "en")


@pytest.mark.parametrize(
    ("utterance", "problem", "usage"),
    [
        ("점검", "클러스터 이름을 하나 적어 주세요.", "점검 <클러스터> <기간> <사유>"),
        ("점검 alpha", "기간을 적어 주세요", "점검 <클러스터>"),
        ("점검 alpha 2h", "사유를 적어 주세요.", "점검 <클러스터>"),
        ("점검 alpha 90 디스크", "'90'은(는) 기간이 아닙니다.", "점검 <클러스터>"),
        ("점검 alpha 0m 디스크", "'0m'은(는) 기간이 아닙니다.", "점검 <클러스터>"),
        ("점검 alpha 2x 디스크", "'2x'은(는) 기간이 아닙니다.", "점검 <클러스터>"),
        ("maint alpha tomorrow x", "'tomorrow' is not a duration", "maint <cluster> <duration> <reason>"),
        ("점검해제", "클러스터 이름을 하나 적어 주세요.", "점검해제 <클러스터>"),
        ("unmaint alpha beta", "Name one cluster.", "unmaint <cluster>"),
        ("mute", "Name the check and the cluster", 'mute "<check name>" <cluster>'),
        ('mute "Too many tablets"', "Name the check and the cluster", 'mute "<check name>"'),
        ('mute "" alpha 1h', "Name the check and the cluster", 'mute "<check name>"'),
        ('mute "Too many tablets" alpha cri', "Say for how long", 'mute "<check name>"'),
        ('mute "Too many tablets" alpha cri soon', "'soon' is not a duration", 'mute "<check name>"'),
        ('mute "Too many tablets alpha 1h', "A quote is not closed.", 'mute "<check name>"'),
        ("unmute alpha", "Name the check and the cluster", 'unmute "<check name>" <cluster>'),
        ('unmute "X" alpha beta', "Name the check and the cluster", 'unmute "<check name>" <cluster>'),
        ("상태", "클러스터 이름을 하나 적어 주세요.", "상태 <클러스터>"),
        ("status alpha beta", "Name one cluster.", "status <cluster>"),
        ("reboot alpha", "'reboot' is not a command I know.", "maint, unmaint, mute, unmute, status, help"),
        ("재부팅 alpha", "'재부팅'은(는) 모르는 명령입니다.", "점검, 점검해제, mute, unmute, 상태, 도움말"),
    ],
)
def test_malformed_commands_say_what_is_wrong_and_how_to_write_them(utterance: str, problem: str, usage: str) -> None:
    error = parse_command(utterance, language="en")
    assert isinstance(error, ParseError)
    assert error.problem.startswith(problem)
    assert error.usage.startswith(usage)
    prefix = "사용법: " if error.language == "ko" else "Usage: "
    assert error.text == f"{error.problem}\n{prefix}{error.usage}"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("90s", 90),
        ("1w", 604800),
        ("1.5h", 5400),
        ("2H", 7200),
        ("30분", 1800),
        ("2시간", 7200),
        ("1일", 86400),
        ("1시간30분", 5400),
        ("1시간 30분", 5400),
        ("2주", 1209600),
        ("45min", 2700),
        ("3hours", 10800),
        ("2days", 172800),
        ("PT2H", 7200),
        ("P1D", 86400),
        ("P1DT12H", 129600),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_chat_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "90", "h", "2x", "2h foo", "soon", "시간", "-1h", "P", "PT"])
def test_not_durations(text: str) -> None:
    assert parse_chat_duration(text) is None
