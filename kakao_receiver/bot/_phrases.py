"""What the bot says, in Korean and English; no I/O."""

from __future__ import annotations

from collections.abc import Mapping

_KO: Mapping[str, str] = {
    "usage": "사용법: {usage}",
    "usage.maintenance": "점검 <클러스터> <기간> <사유>  예) 점검 alpha 2h 디스크 교체",
    "usage.end_maintenance": "점검해제 <클러스터>  예) 점검해제 alpha",
    "usage.mute": 'mute "<검사 이름>" <클러스터> off|cri <기간> [사유]  예) mute "Too many tablets" alpha cri 1d',
    "usage.unmute": 'unmute "<검사 이름>" <클러스터>  예) unmute "Too many tablets" alpha',
    "usage.status": "상태 <클러스터>  예) 상태 alpha",
    "usage.all": "점검, 점검해제, mute, unmute, 상태, 도움말 (자세히: 도움말)",
    "parse.unknown": "'{word}'은(는) 모르는 명령입니다.",
    "parse.quote": "따옴표가 닫히지 않았습니다.",
    "parse.cluster": "클러스터 이름을 하나 적어 주세요.",
    "parse.how_long": "기간을 적어 주세요 (30m, 2h, 1d, 2시간, 30분, 1일).",
    "parse.duration": "'{word}'은(는) 기간이 아닙니다. 30m, 2h, 1d, 2시간, 30분, 1일처럼 적어 주세요.",
    "parse.reason": "사유를 적어 주세요. 다른 사람이 왜 조용한지 알 수 있도록 남깁니다.",
    "parse.check_cluster": (
        '검사 이름과 클러스터를 적어 주세요. 이름에 공백이 있으면 따옴표로 감싸세요: "Too many tablets"'
    ),
    "help": (
        "KHP 봇 명령\n"
        "• 점검 <클러스터> <기간> <사유>: 클러스터의 모든 알림을 기간 동안 끕니다\n"
        "  예) 점검 alpha 2h 디스크 교체\n"
        "• 점검해제 <클러스터>: 점검 모드를 바로 끝냅니다\n"
        '• mute "<검사 이름>" <클러스터> off|cri <기간> [사유]: 한 문제의 알림을 끄거나(off) 심각만 받습니다(cri)\n'
        '  예) mute "Too many tablets" alpha cri 1d\n'
        '• unmute "<검사 이름>" <클러스터>: 뮤트를 바로 끝냅니다\n'
        "• 상태 <클러스터>: 점검·뮤트와 발생 중인 알림\n"
        "• 도움말\n"
        "기간: 30m, 2h, 1d, 30분, 2시간, 1일. 영어 명령: maint, unmaint, mute, unmute, status, help.\n"
        "내 ID: {actor}"
    ),
    "refused": (
        "죄송합니다. {cluster}에서 이 작업을 할 권한이 없습니다. 권한이 필요하면 관리자에게 ID {actor}를 알려 주세요."
    ),
    "refused.view": (
        "죄송합니다. {cluster}의 상태를 볼 권한이 없습니다. 권한이 필요하면 관리자에게 ID {actor}를 알려 주세요."
    ),
    "unavailable": (
        "Alertmanager가 응답하지 않았습니다. 잠시 후 다시 시도해 주세요."
        " 변경이 적용되었는지는 '상태 {cluster}'로 확인할 수 있습니다."
    ),
    "invalid.end_missing": "기간을 적어 주세요. 알림 끄기는 반드시 끝나야 합니다 (최대 {limit}).",
    "invalid.end_invalid": "기간을 읽을 수 없습니다. 30m, 2h, 1d, 30분, 2시간, 1일처럼 적어 주세요.",
    "invalid.end_past": "끝나는 시각이 이미 지났습니다. 더 뒤의 시각을 적어 주세요.",
    "invalid.too_long": "너무 깁니다. 최대 {limit}까지 할 수 있으니 더 짧게 적어 주세요.",
    "invalid.cluster_missing": "클러스터 이름을 하나 적어 주세요.",
    "invalid.cluster_unknown": "'{name}' 클러스터를 모릅니다.{suggestion}",
    "invalid.check_missing": "검사 이름을 적어 주세요.",
    "invalid.check_unknown": "'{name}' 검사를 모릅니다 (대소문자를 구분합니다).{suggestion}",
    "invalid.level_unknown": "'{level}'은(는) 뮤트 방식이 아닙니다. cri(심각만 받기)나 off(끄기)를 적어 주세요.",
    "invalid.reason_missing": "사유를 적어 주세요. 다른 사람이 왜 조용한지 알 수 있도록 남깁니다.",
    "invalid.other": "요청대로 처리할 수 없습니다. '도움말'로 사용법을 확인해 주세요.",
    "invalid.suggestion": " 혹시 '{name}'인가요?",
    "refused.by_alertmanager": "Alertmanager가 요청을 거절했습니다. 관리자에게 수신기 로그 확인을 부탁해 주세요.",
    "internal": "봇 내부 오류로 처리하지 못했습니다. 관리자에게 수신기 로그 확인을 부탁해 주세요.",
    "maintenance.started": (
        "{cluster} 점검 모드: {until}까지 ({length}).\n사유: {reason}\n일찍 끝내려면: 점검해제 {cluster}"
    ),
    "maintenance.ended": "{cluster} 점검 모드를 해제했습니다.",
    "maintenance.none": "{cluster}은(는) 점검 중이 아닙니다.",
    "mute.off": "'{check}' ({cluster}) 알림을 끕니다: {until}까지 ({length}).",
    "mute.cri": "'{check}' ({cluster}) 심각 알림만 받습니다: {until}까지 ({length}).",
    "mute.undo": '되돌리려면: unmute "{check}" {cluster}',
    "unmuted": "'{check}' ({cluster}) 뮤트를 해제했습니다.",
    "unmute.none": "'{check}' ({cluster})은(는) 뮤트되어 있지 않습니다.",
    "status.title": "{cluster} 상태",
    "status.quiet": "점검·뮤트 없음",
    "status.maintenance": "점검 중: {until}까지 · {by}: {reason}",
    "status.cri": "'{check}' 심각만: {until}까지 · {by}",
    "status.off": "'{check}' 끔: {until}까지 · {by}",
    "status.pending": " (예정)",
    "status.no_alerts": "발생 중인 알림 없음",
    "status.alerts": "발생 중인 알림:",
    "status.severity": "• {severity} {count}건: {checks}",
    "status.suppressed": "(그중 {count}건은 사일런스·억제됨)",
    "status.unknown": "'{cluster}' 클러스터를 모릅니다 (클러스터 파일도, Alertmanager 알림도 없음).{suggestion}",
    "severity.critical": "심각",
    "severity.warning": "경고",
    "severity.other": "기타",
    "button.unknown": "이 버튼은 처리할 수 없습니다 ({name}).",
    "button.reason": "카카오워크 알림 버튼",
    "modal.title": "알림 조정",
    "modal.accept": "적용",
    "modal.decline": "취소",
    "modal.what": "무엇을 할까요?",
    "modal.duration": "기간",
    "modal.reason": "사유 (점검에는 필수)",
    "modal.reason.placeholder": "예: 디스크 교체 작업",
    "what.off": "이 알림 끄기 (OFF)",
    "what.cri": "심각만 받기 (CRI)",
    "what.maintenance": "클러스터 점검 모드",
}

_EN: Mapping[str, str] = {
    "usage": "Usage: {usage}",
    "usage.maintenance": "maint <cluster> <duration> <reason>  e.g. maint alpha 2h disk swap",
    "usage.end_maintenance": "unmaint <cluster>  e.g. unmaint alpha",
    "usage.mute": (
        'mute "<check name>" <cluster> off|cri <duration> [reason]  e.g. mute "Too many tablets" alpha cri 1d'
    ),
    "usage.unmute": 'unmute "<check name>" <cluster>  e.g. unmute "Too many tablets" alpha',
    "usage.status": "status <cluster>  e.g. status alpha",
    "usage.all": "maint, unmaint, mute, unmute, status, help (more: help)",
    "parse.unknown": "'{word}' is not a command I know.",
    "parse.quote": "A quote is not closed.",
    "parse.cluster": "Name one cluster.",
    "parse.how_long": "Say for how long (30m, 2h, 1d).",
    "parse.duration": "'{word}' is not a duration; write it like 30m, 2h, 1d or 1h30m.",
    "parse.reason": "Give a reason, so others know why the cluster is silent.",
    "parse.check_cluster": 'Name the check and the cluster; quote a check name with spaces: "Too many tablets"',
    "help": (
        "KHP bot commands\n"
        "• maint <cluster> <duration> <reason>: silence every alert of the cluster for a while\n"
        "  e.g. maint alpha 2h disk swap\n"
        "• unmaint <cluster>: end the maintenance now\n"
        '• mute "<check name>" <cluster> off|cri <duration> [reason]: send nothing (off) or only critical (cri)'
        " of one problem\n"
        '  e.g. mute "Too many tablets" alpha cri 1d\n'
        '• unmute "<check name>" <cluster>: end the mute now\n'
        "• status <cluster>: maintenance, mutes and firing alerts\n"
        "• help\n"
        "Durations: 30m, 2h, 1d, 1h30m. Korean commands: 점검, 점검해제, 상태, 도움말.\n"
        "Your id: {actor}"
    ),
    "refused": "Sorry, you may not do that on {cluster}. To be allowed, give an administrator your id {actor}.",
    "refused.view": "Sorry, you may not see {cluster}. To be allowed, give an administrator your id {actor}.",
    "unavailable": (
        "Alertmanager did not answer; try again in a minute. 'status {cluster}' shows whether the change was made."
    ),
    "invalid.end_missing": "Say for how long: a silence always ends (at most {limit}).",
    "invalid.end_invalid": "I cannot read that duration; write it like 30m, 2h or 1d.",
    "invalid.end_past": "That end is already past; give a later one.",
    "invalid.too_long": "That is too long: at most {limit}. Give a shorter one.",
    "invalid.cluster_missing": "Name one cluster.",
    "invalid.cluster_unknown": "I do not know cluster '{name}'.{suggestion}",
    "invalid.check_missing": "Name the check.",
    "invalid.check_unknown": "I do not know the check '{name}' (names are case-sensitive).{suggestion}",
    "invalid.level_unknown": "'{level}' is not a way to mute; use cri (critical only) or off (nothing).",
    "invalid.reason_missing": "Give a reason, so others know why the cluster is silent.",
    "invalid.other": "Not done as asked; 'help' shows how to ask.",
    "invalid.suggestion": " Did you mean '{name}'?",
    "refused.by_alertmanager": "Alertmanager refused it; ask an administrator to look at the receiver's log.",
    "internal": "Not done: the bot failed inside; ask an administrator to look at the receiver's log.",
    "maintenance.started": (
        "{cluster} is in maintenance until {until} ({length}).\nReason: {reason}\nTo end it early: unmaint {cluster}"
    ),
    "maintenance.ended": "{cluster} is out of maintenance.",
    "maintenance.none": "{cluster} is not in maintenance.",
    "mute.off": "'{check}' on {cluster} is off until {until} ({length}).",
    "mute.cri": "'{check}' on {cluster} sends only critical until {until} ({length}).",
    "mute.undo": 'To undo: unmute "{check}" {cluster}',
    "unmuted": "'{check}' on {cluster} is no longer muted.",
    "unmute.none": "'{check}' on {cluster} was not muted.",
    "status.title": "{cluster} status",
    "status.quiet": "No maintenance or mutes",
    "status.maintenance": "In maintenance until {until} · {by}: {reason}",
    "status.cri": "'{check}' critical only until {until} · {by}",
    "status.off": "'{check}' off until {until} · {by}",
    "status.pending": " (starts later)",
    "status.no_alerts": "No firing alerts",
    "status.alerts": "Firing alerts:",
    "status.severity": "• {severity} {count}: {checks}",
    "status.suppressed": "({count} of them silenced or inhibited)",
    "status.unknown": "I do not know cluster '{cluster}' (no cluster file, no alert in Alertmanager).{suggestion}",
    "severity.critical": "critical",
    "severity.warning": "warning",
    "severity.other": "other",
    "button.unknown": "I cannot handle this button ({name}).",
    "button.reason": "KakaoWork alert button",
    "modal.title": "Silence alerts",
    "modal.accept": "Apply",
    "modal.decline": "Cancel",
    "modal.what": "What to do?",
    "modal.duration": "For how long",
    "modal.reason": "Reason (required for maintenance)",
    "modal.reason.placeholder": "e.g. disk swap",
    "what.off": "Turn this alert off (OFF)",
    "what.cri": "Critical only (CRI)",
    "what.maintenance": "Cluster maintenance",
}

PHRASES: Mapping[str, Mapping[str, str]] = {"ko": _KO, "en": _EN}


def say(language: str, key: str, **values: object) -> str:
    """The ``key`` phrase in ``language`` (Korean for a language the bot does not speak)."""
    return PHRASES.get(language, _KO)[key].format(**values)
