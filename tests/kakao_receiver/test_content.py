"""compose(): one message per group, in Korean or English, summarized but never cut silently."""

from __future__ import annotations

import json
import random
import urllib.parse

import pytest

from kakao_receiver._content import Links, MessageContent, compose, plain_content
from kakao_receiver._i18n import KST, human_clock, human_duration

from .samples import SOURCE, STARTS_EPOCH, alert, random_notification, resolved, webhook

NOW = STARTS_EPOCH + 25 * 60


def test_a_firing_alert_in_korean_says_what_where_how_much_and_since_when() -> None:
    content = compose(webhook(alert(host="a-ov1")), now=NOW)

    assert content.title == "[심각] alpha: Task slot usage"
    assert content.summary == "발생 1건"
    assert (content.status, content.severity, content.tone) == ("firing", "critical", "critical")
    assert content.cluster == "alpha"
    (item,) = content.items
    assert item.heading == "[심각] a-ov1"
    assert item.condition == "값 46.913 > 임계치 45"
    assert item.timing == "시작 11월 29일 15:20 KST (25분째) · 2026-11-29T06:20:25Z"
    assert item.description == "Task slot 사용률 임계치 초과"
    assert item.text.splitlines() == [item.heading, item.condition, item.timing, item.description]


def test_the_same_alert_in_english_with_clock_times_in_utc() -> None:
    content = compose(webhook(alert(host="a-ov1")), "en", now=NOW)

    assert content.title == "[CRITICAL] alpha: Task slot usage"
    assert content.summary == "1 firing"
    (item,) = content.items
    assert item.condition == "value 46.913 > threshold 45"
    assert item.timing == "since 29 Nov 06:20 UTC (for 25m) · 2026-11-29T06:20:25Z"


def test_without_a_clock_the_message_depends_on_the_notification_alone() -> None:
    notification = webhook(alert())

    first, second = compose(notification), compose(notification)

    assert first == second
    assert first.items[0].timing == "시작 11월 29일 15:20 KST · 2026-11-29T06:20:25Z"


def test_a_warning_is_tagged_as_such_and_a_cluster_level_problem_says_cluster_wide() -> None:
    content = compose(webhook(alert(severity="warning")))

    assert content.title == "[경고] alpha: Task slot usage"
    assert content.items[0].heading == "[경고] 클러스터 전체"
    assert content.tone == "warning"


def test_a_resolved_group_says_what_healed_and_after_how_long() -> None:
    content = compose(webhook(resolved(host="a-ov1")))

    assert content.title == "[해소됨] alpha: Task slot usage"
    assert content.tone == "resolved"
    assert content.summary == "해소 1건"
    assert content.items[0].timing == "25분 만에 해소 · 11월 29일 15:45 KST · 2026-11-29T06:45:25Z"
    assert all(not subject.actions for subject in content.subjects)

    english = compose(webhook(resolved(host="a-ov1")), "en")
    assert english.title == "[RESOLVED] alpha: Task slot usage"
    assert english.items[0].timing == "resolved after 25m · 29 Nov 06:45 UTC · 2026-11-29T06:45:25Z"


def test_a_mixed_group_lists_firing_before_resolved_and_critical_before_warning() -> None:
    notification = webhook(
        resolved(host="h3", severity="critical"),
        alert(host="h2", severity="warning"),
        alert(host="h10", severity="critical"),
        alert(host="h1", severity="critical"),
    )

    content = compose(notification)

    assert [(i.status, i.severity, i.host) for i in content.items] == [
        ("firing", "critical", "h1"),
        ("firing", "critical", "h10"),
        ("firing", "warning", "h2"),
        ("resolved", "critical", "h3"),
    ]
    assert content.title == "[심각] alpha: Task slot usage 4건"
    assert content.summary == "발생 3건, 해소 1건"
    assert (content.firing, content.resolved) == (3, 1)


def test_several_checks_in_one_group_name_the_check_on_each_alert() -> None:
    notification = webhook(alert(check="Disk usage", host="h1"), alert(check="GC time", host="h2"), alert(host="h3"))

    content = compose(notification, "en")

    assert content.title == "[CRITICAL] alpha: Disk usage and 2 more"
    assert [i.heading for i in content.items] == [
        "[CRITICAL] Disk usage · h1",
        "[CRITICAL] GC time · h2",
        "[CRITICAL] Task slot usage · h3",
    ]
    assert [s.check for s in content.subjects] == ["Disk usage", "GC time", "Task slot usage"]


def test_a_group_over_several_clusters_names_them() -> None:
    notification = webhook(alert(cluster="alpha", host="h1"), alert(cluster="beta", host="h2"), group_labels={})

    content = compose(notification)

    assert content.cluster == "alpha 외 1곳"
    assert [i.heading for i in content.items] == ["[심각] alpha/h1", "[심각] beta/h2"]


def test_above_max_alerts_the_first_are_listed_and_the_rest_counted_per_check() -> None:
    alerts = [alert(check="Disk usage", host=f"d{i}", severity="warning") for i in range(15)]
    alerts += [alert(check="GC time", host=f"g{i}", severity="warning") for i in range(7)]

    content = compose(webhook(*alerts))

    assert len(content.items) == 10
    assert [(c.check, c.count) for c in content.omitted] == [("GC time", 7), ("Disk usage", 5)]
    assert content.more == "외 12건: GC time 7, Disk usage 5"
    assert compose(webhook(*alerts), "en").more == "and 12 more: GC time 7, Disk usage 5"
    assert content.more in content.text


def test_max_alerts_is_a_setting() -> None:
    alerts = [alert(host=f"h{i}") for i in range(5)]

    content = compose(webhook(*alerts), max_alerts=2)

    assert len(content.items) == 2 and content.omitted_count == 3
    assert content.more == "외 3건: Task slot usage 3"


def test_alerts_truncated_by_alertmanager_are_reported() -> None:
    content = compose(webhook(alert(), truncated=37))

    assert content.truncated == 37
    assert content.truncated_note == "Alertmanager가 37건을 더 생략했습니다 (webhook max_alerts)"
    assert content.truncated_note in content.text
    english = compose(webhook(alert(), truncated=37), "en")
    assert english.truncated_note == "Alertmanager left out 37 more alerts (webhook max_alerts)"


def test_every_alert_is_listed_or_counted_whatever_the_group() -> None:
    rng = random.Random(7)
    for _ in range(60):
        notification = random_notification(rng)
        for language in ("ko", "en"):
            content = compose(notification, language, max_alerts=rng.randint(1, 12))
            assert len(content.items) + content.omitted_count == len(notification.alerts)
            assert content.firing + content.resolved == len(notification.alerts)
            assert content.truncated == notification.truncated_alerts
            json.dumps(content.to_dict())


def test_links_go_to_the_monitor_code_a_prefilled_silence_and_the_console() -> None:
    content = compose(webhook(alert(host="a-ov1")), links=Links(console_url="https://khp.example.com/"))

    links = {link.kind: link.url for link in content.items[0].links}
    assert links["source"] == SOURCE
    silence = urllib.parse.urlsplit(links["silence"])
    assert f"{silence.scheme}://{silence.netloc}" == "http://am.example.com:9093"
    assert silence.fragment.startswith("/silences/new?filter=")
    matchers = urllib.parse.unquote(silence.fragment.split("filter=", 1)[1])
    assert matchers == '{alertname="Task slot usage",cluster="alpha"}'
    assert links["console"] == "https://khp.example.com/clusters/alpha"
    assert {link.kind for link in content.links} == {"console", "alerts"}
    alerts_view = next(link.url for link in content.links if link.kind == "alerts")
    assert urllib.parse.unquote(alerts_view).endswith('#/alerts?filter={alertname="Task slot usage",cluster="alpha"}')


def test_without_a_console_there_is_no_console_link_and_alertmanager_can_be_renamed() -> None:
    content = compose(webhook(alert()), links=Links(alertmanager_url="https://am.example.org/"))

    kinds = [link.kind for link in content.items[0].links]
    assert kinds == ["source", "silence"]
    assert content.items[0].links[1].url.startswith("https://am.example.org/#/silences/new?filter=")


def test_quotes_in_label_values_are_escaped_in_silence_filters() -> None:
    content = compose(webhook(alert(check='Log "responseTooSlow"')))

    silence = next(link.url for link in content.items[0].links if link.kind == "silence")
    assert urllib.parse.unquote(silence).endswith('{alertname="Log \\"responseTooSlow\\"",cluster="alpha"}')


def test_actions_mute_for_an_hour_critical_only_maintenance_and_a_custom_duration() -> None:
    (subject,) = compose(webhook(alert())).subjects

    assert [(a.name, a.kind, a.label, a.value) for a in subject.actions] == [
        ("mute", "submit", "1시간 끄기", "check=Task slot usage;cluster=alpha;level=off;minutes=60"),
        ("mute", "submit", "심각만 받기 1시간", "check=Task slot usage;cluster=alpha;level=cri;minutes=60"),
        ("maintenance", "submit", "점검 2시간", "cluster=alpha;minutes=120"),
        ("custom", "modal", "기간 지정…", "check=Task slot usage;cluster=alpha"),
    ]


def test_action_values_survive_separators_in_check_names() -> None:
    (subject,) = compose(webhook(alert(check="a=b; c%d"))).subjects

    pairs = dict(pair.split("=", 1) for pair in subject.actions[0].value.split(";"))
    assert {k: urllib.parse.unquote(v) for k, v in pairs.items()} == {
        "check": "a=b; c%d",
        "cluster": "alpha",
        "level": "off",
        "minutes": "60",
    }


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("46.91300001", "46.913"), ("1200.0", "1200"), ("0.000123", "0.000123"), ("n/a", "n/a"), ("1e21", "1e+21")],
)
def test_values_are_written_as_people_read_them(raw: str, shown: str) -> None:
    assert compose(webhook(alert(value=raw))).items[0].value == shown


def test_a_value_without_threshold_is_still_shown() -> None:
    content = compose(webhook(alert(threshold="", compare="")))

    assert content.items[0].condition == "값 46.913"


def test_the_whole_text_has_title_items_notes_and_links() -> None:
    content = compose(webhook(alert(host="h1"), truncated=2), links=Links(console_url="https://khp.example.com"))

    text = content.text
    assert text.startswith("[심각] alpha: Task slot usage\n발생 1건\n\n[심각] h1\n")
    assert f"코드: {SOURCE}" in text
    assert "콘솔: https://khp.example.com/clusters/alpha" in text
    assert content.preview == "[심각] alpha: Task slot usage · 발생 1건"


def test_to_dict_is_json_with_the_derived_fields() -> None:
    data = compose(webhook(alert())).to_dict()

    assert json.loads(json.dumps(data))["title"] == "[심각] alpha: Task slot usage"
    assert {"tone", "preview", "text", "items", "subjects", "omitted"} <= set(data)


def test_unknown_language_and_bad_max_alerts_are_refused() -> None:
    with pytest.raises(ValueError, match="ko, en"):
        compose(webhook(alert()), "jp")
    with pytest.raises(ValueError, match="max_alerts"):
        compose(webhook(alert()), max_alerts=0)


def test_durations_and_clock_times_in_both_languages() -> None:
    seconds = (0, 40, 1500, 3900, 93784)
    assert [human_duration(s, "ko") for s in seconds] == ["0초", "40초", "25분", "1시간 5분", "1일 2시간"]
    assert [human_duration(s, "en") for s in seconds] == ["0s", "40s", "25m", "1h 5m", "1d 2h"]
    assert human_clock(STARTS_EPOCH, "ko", KST) == "11월 29일 15:20 KST"


def test_message_content_is_frozen() -> None:
    content: MessageContent = compose(webhook(alert()))

    with pytest.raises(AttributeError):
        content.title = "changed"  # type: ignore[misc]


def test_a_flapping_alert_says_so_in_the_reader_s_language() -> None:
    flapping = alert(host="a-ov1")
    flapping["annotations"]["flapping"] = "changed state more than 4 times in 1h: held firing until stable for 30m"
    (item,) = compose(webhook(flapping), now=NOW).items
    assert item.description.splitlines() == [
        "플래핑: 자주 발생·해소를 반복해, 안정될 때까지 이 알림 하나로 알립니다.",
        "Task slot 사용률 임계치 초과",
    ]
    (english,) = compose(webhook(flapping), "en", now=NOW).items
    assert english.description.startswith("Flapping: it keeps coming and going")
    plain = compose(webhook(alert(host="a-ov1")), now=NOW).items[0]
    assert "플래핑" not in plain.text


# -- the plain form: sent when the full message cannot be made -------------------------------------------


def test_the_plain_form_says_what_fires_and_where_from_the_labels_alone() -> None:
    notification = webhook(
        alert(host="a-ov1"), alert(host="a-ov2", severity="warning"), resolved(check="GC time", host="a-ov3")
    )

    content = plain_content(notification, "en")

    assert content.title == "[CRITICAL] alpha: Task slot usage, GC time"
    assert [item.heading for item in content.items] == [
        "[CRITICAL] Task slot usage · alpha · a-ov1",
        "[WARNING] Task slot usage · alpha · a-ov2",
        "[RESOLVED] GC time · alpha · a-ov3",
    ]
    assert content.summary == "The full message could not be made; this is its plain form (the receiver's log says why)"
    assert (content.firing, content.resolved, content.subjects, content.links) == (2, 1, (), ())
    assert "http" not in content.text and "46.913" not in content.text  # no links, no annotations
    assert plain_content(notification, "ko").title == "[심각] alpha: Task slot usage, GC time"


def test_the_plain_form_never_calls_an_alert_that_ended_for_lack_of_data_resolved() -> None:
    gone = resolved(host="a-ov1")
    gone["annotations"]["resolved_by"] = "no data"

    content = plain_content(webhook(gone), "ko")

    assert content.title == "[데이터 없음] alpha: Task slot usage"
    assert content.items[0].heading == "[데이터 없음] Task slot usage · alpha · a-ov1"
    assert "해소됨" not in content.text
    assert plain_content(webhook(resolved(host="a-ov1")), "ko").title == "[해소됨] alpha: Task slot usage"


def test_the_plain_form_lists_max_alerts_and_counts_the_rest_and_what_alertmanager_left_out() -> None:
    many = webhook(*(alert(host=f"h{n}", check=f"check {n % 5}") for n in range(13)), truncated=4)

    content = plain_content(many, "en", max_alerts=10)

    assert len(content.items) == 10
    assert content.notes == ("and 3 more", "Alertmanager left out 4 more alerts (webhook max_alerts)")
    assert content.title == "[CRITICAL] alpha: check 0, check 1, check 2 (+2)"


def test_the_plain_form_of_any_notification_is_made_without_error() -> None:
    rng = random.Random(11)
    for _ in range(200):
        notification = random_notification(rng)
        content = plain_content(notification, rng.choice(["ko", "en"]))
        assert len(content.items) == min(10, len(notification.alerts)) and content.title.startswith("[")
