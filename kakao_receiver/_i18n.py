"""The words of chat messages in Korean (the default) and English; this module does no I/O.

>>> phrase("ko", "more", count=12, by_check="Disk usage 8, GC time 4")
'외 12건: Disk usage 8, GC time 4'
>>> human_duration(3900, "en")
'1h 5m'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"

KST = dt.timezone(dt.timedelta(hours=9), "KST")
ZONES: Mapping[str, dt.tzinfo] = {"ko": KST, "en": dt.UTC}
"""The time zone each language writes clock times in unless ``compose`` is given another."""

_PHRASES: Mapping[str, Mapping[str, str]] = {
    "ko": {
        "severity.critical": "심각",
        "severity.warning": "경고",
        "severity.none": "알림",
        "status.resolved": "해소됨",
        "status.nodata": "데이터 없음",
        "plain.form": "전체 메시지를 만들지 못해 간단한 형식으로 보냅니다 (수신기 로그에 원인이 있습니다)",
        "nodata.ended": "데이터가 없어 종료 (해소 아님) · {clock} · {iso}",
        "blind.title": "[심각] 모니터링 불능: {clock}부터 평가기 응답 없음",
        "blind.summary": (
            "알림이 없다고 문제가 없는 것이 아닙니다. "
            "그동안 Alertmanager가 스스로 끝낸 알림은 평가기가 확인할 때까지 해소로 알리지 않습니다."
        ),
        "restored.title": "[복구] 모니터링 재개 ({clock}부터 {lasted} 동안 불능)",
        "restored.summary": (
            "평가기가 다시 보고합니다. 보류했던 해소 {released}건을 확인해 보냈고, {dropped}건은 아직 발생 중입니다."
        ),
        "title": "[{tag}] {cluster}: {subject}",
        "subject.same": "{check} {count}건",
        "subject.many": "{check} 외 {others}건",
        "counts.firing": "발생 {count}건",
        "counts.resolved": "해소 {count}건",
        "clusters.many": "{first} 외 {others}곳",
        "cluster.wide": "클러스터 전체",
        "condition": "값 {value} {compare} 임계치 {threshold}",
        "value": "값 {value}",
        "since": "시작 {clock} ({ago}째) · {iso}",
        "since.plain": "시작 {clock} · {iso}",
        "healed": "{lasted} 만에 해소 · {clock} · {iso}",
        "flapping": "플래핑: 자주 발생·해소를 반복해, 안정될 때까지 이 알림 하나로 알립니다.",
        "more": "외 {count}건: {by_check}",
        "more.count": "외 {count}건",
        "truncated": "Alertmanager가 {count}건을 더 생략했습니다 (webhook max_alerts)",
        "overflow": "메시지 크기 한도로 {count}건을 더 싣지 못했습니다: {by_check}",
        "see.all": "전체 목록: {url}",
        "link.source": "코드",
        "link.silence": "사일런스",
        "link.console": "콘솔",
        "link.alerts": "Alertmanager",
        "action.mute": "1시간 끄기",
        "action.cri": "심각만 받기 1시간",
        "action.maintenance": "점검 2시간",
        "action.custom": "기간 지정…",
        "label.cluster": "클러스터",
        "label.status": "상태",
        "label.check": "검사",
        "details": "자세히 보기",
    },
    "en": {
        "severity.critical": "CRITICAL",
        "severity.warning": "WARNING",
        "severity.none": "ALERT",
        "status.resolved": "RESOLVED",
        "status.nodata": "NO DATA",
        "plain.form": "The full message could not be made; this is its plain form (the receiver's log says why)",
        "nodata.ended": "ended for lack of data, not healed · {clock} · {iso}",
        "blind.title": "[CRITICAL] monitoring is blind since {clock} (evaluator silent)",
        "blind.summary": (
            "No alert does not mean no problem. Alerts Alertmanager ends on its own meanwhile"
            " are not reported as resolved until the evaluator confirms them."
        ),
        "restored.title": "[RESTORED] monitoring restored (blind since {clock}, for {lasted})",
        "restored.summary": (
            "The evaluator reports again. Held resolutions: {released} confirmed and sent, {dropped} still firing."
        ),
        "title": "[{tag}] {cluster}: {subject}",
        "subject.same": "{check} ({count} alerts)",
        "subject.many": "{check} and {others} more",
        "counts.firing": "{count} firing",
        "counts.resolved": "{count} resolved",
        "clusters.many": "{first} and {others} more",
        "cluster.wide": "cluster-wide",
        "condition": "value {value} {compare} threshold {threshold}",
        "value": "value {value}",
        "since": "since {clock} (for {ago}) · {iso}",
        "since.plain": "since {clock} · {iso}",
        "healed": "resolved after {lasted} · {clock} · {iso}",
        "flapping": "Flapping: it keeps coming and going; this one alert stands for it until it is stable.",
        "more": "and {count} more: {by_check}",
        "more.count": "and {count} more",
        "truncated": "Alertmanager left out {count} more alerts (webhook max_alerts)",
        "overflow": "{count} more did not fit in this message: {by_check}",
        "see.all": "All alerts: {url}",
        "link.source": "Code",
        "link.silence": "Silence",
        "link.console": "Console",
        "link.alerts": "Alertmanager",
        "action.mute": "Mute 1h",
        "action.cri": "Critical only 1h",
        "action.maintenance": "Maintenance 2h",
        "action.custom": "Custom…",
        "label.cluster": "Cluster",
        "label.status": "Status",
        "label.check": "Check",
        "details": "Details",
    },
}

_UNITS = {
    "ko": (("일", 86400), ("시간", 3600), ("분", 60), ("초", 1)),
    "en": (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_language(language: str) -> str:
    """``language`` if khp speaks it; else ``ValueError`` listing the languages it does."""
    if language not in _PHRASES:
        raise ValueError(f"unknown language {language!r}; khp writes messages in {', '.join(LANGUAGES)}")
    return language


def phrase(language: str, key: str, **values: object) -> str:
    """The ``key`` phrase of ``language`` with ``values`` filled in."""
    return _PHRASES[check_language(language)][key].format(**values)


def human_duration(seconds: float, language: str) -> str:
    """``seconds`` in the two largest units people say: ``'1시간 5분'``, ``'1h 5m'``, ``'40초'``."""
    rest = max(0, round(seconds))
    parts: list[str] = []
    for unit, size in _UNITS[check_language(language)]:
        count, rest = divmod(rest, size)
        if count or (size == 1 and not parts):
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts)


def human_clock(epoch: float, language: str, zone: dt.tzinfo) -> str:
    """A wall-clock time in ``zone``: ``'11월 29일 15:20 KST'``, ``'29 Nov 06:20 UTC'``."""
    when = dt.datetime.fromtimestamp(epoch, zone)
    name = when.tzname() or ""
    if check_language(language) == "ko":
        return f"{when.month}월 {when.day}일 {when:%H:%M} {name}".rstrip()
    return f"{when.day} {_MONTHS_EN[when.month - 1]} {when:%H:%M} {name}".rstrip()
