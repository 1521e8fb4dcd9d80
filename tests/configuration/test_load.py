"""``load_config``: khp.yml and the cluster files into frozen objects, or a ConfigError naming file and key."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from evaluator import BUNDLED_DIR
from khp.configuration import (
    AlertmanagerConfig,
    ClusterConfig,
    Config,
    ConfigError,
    EvaluationConfig,
    ExporterConfig,
    HeartbeatConfig,
    InventoryConfig,
    LinksConfig,
    RouteTimings,
    RoutingConfig,
    SilencesConfig,
    SourceConfig,
    StoreConfig,
    Threshold,
    load_config,
)
from khp.configuration._defaults import monitor_defaults

DESIGN_KHP = """\
# khp.yml
sources: {metrics: {type: embedded}, logs: {type: embedded}, processes: {type: embedded}}
store: var/khp.db
monitors: [evaluator/monitors]
evaluation: {interval: 1m, window: 10m, pending: 5m}
alertmanager: {urls: ["http://127.0.0.1:9093"]}
thresholds:
  druid_slot_used_percent: {warning: 80, critical: 90}
clusters_dir: configs/clusters
"""

DESIGN_ALPHA = """\
# configs/clusters/alpha.yml
thresholds: {druid_slot_used_percent: {warning: 70}}
channels: {warning: ["kakaowork:12345"], critical: ["kakaowork:67890", "kakaotalk:ops"]}
pending: 10m
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def setup(tmp_path: Path, khp: str, clusters: Mapping[str, str] | None = None) -> Path:
    """Write khp.yml (plus ``clusters/<name>.yml``, adding ``clusters_dir``) and return its path."""
    if clusters is not None:
        khp = textwrap.dedent(khp) + "\nclusters_dir: clusters\n"
        (tmp_path / "clusters").mkdir(exist_ok=True)
        for name, text in clusters.items():
            write(tmp_path / "clusters" / name, text)
    return write(tmp_path / "khp.yml", khp)


def load(tmp_path: Path, khp: str, clusters: Mapping[str, str] | None = None) -> Config:
    return load_config(setup(tmp_path, khp, clusters))


def failure(tmp_path: Path, khp: str, clusters: Mapping[str, str] | None = None) -> ConfigError:
    path = setup(tmp_path, khp, clusters)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


# -- the whole file ------------------------------------------------------------------------------


def test_an_empty_file_gives_every_default(tmp_path: Path) -> None:
    config = load(tmp_path, "")
    assert config.file == str(tmp_path / "khp.yml")
    assert config.sources.metrics == config.sources.logs == config.sources.processes == SourceConfig("embedded")
    assert config.store == StoreConfig(path=tmp_path / "var/khp.db", retention=7 * 86400)
    assert config.monitors == (BUNDLED_DIR,)
    assert config.evaluation == EvaluationConfig(
        interval=60, window=600, pending=300, monitor_timeout=30, parallel_monitors=8, parallel_queries=16
    )
    assert config.inventory == InventoryConfig()
    assert config.alertmanager == AlertmanagerConfig(urls=("http://127.0.0.1:9093",), timeout=10)
    assert config.links == LinksConfig(source="{path}#L{line}")
    assert dict(config.thresholds) == dict(monitor_defaults([BUNDLED_DIR]).thresholds)  # the bundled monitors'
    assert dict(config.clusters) == {}


def test_the_design_example_loads(tmp_path: Path) -> None:
    (tmp_path / "evaluator/monitors").mkdir(parents=True)
    write(tmp_path / "configs/clusters/alpha.yml", DESIGN_ALPHA)
    config = load_config(write(tmp_path / "khp.yml", DESIGN_KHP))

    assert config.sources.metrics.type == "embedded"
    assert config.store.path == tmp_path / "var/khp.db"
    assert config.monitors == (tmp_path / "evaluator/monitors",)
    assert (config.evaluation.interval, config.evaluation.window, config.evaluation.pending) == (60, 600, 300)
    assert config.alertmanager.urls == ("http://127.0.0.1:9093",)
    assert dict(config.thresholds) == {"druid_slot_used_percent": Threshold(warning=80, critical=90)}
    alpha = config.clusters["alpha"]
    assert alpha.name == "alpha"
    assert alpha.file == str(tmp_path / "configs/clusters/alpha.yml")
    assert dict(alpha.thresholds) == {"druid_slot_used_percent": {"warning": 70}}
    assert dict(alpha.channels) == {"warning": ("kakaowork:12345",), "critical": ("kakaowork:67890", "kakaotalk:ops")}
    assert alpha.pending == 600
    assert config.threshold("druid_slot_used_percent", "alpha", "warning") == 70
    assert config.threshold("druid_slot_used_percent", "alpha", "critical") == 90
    assert config.threshold("druid_slot_used_percent", "beta", "warning") == 80


def test_config_objects_are_frozen(tmp_path: Path) -> None:
    config = load(tmp_path, "thresholds: {k: {warning: 1}}", clusters={"alpha.yml": "pending: 1m"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.file = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.evaluation.interval = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.thresholds["k"] = Threshold()  # type: ignore[index]
    with pytest.raises(TypeError):
        config.clusters["beta"] = ClusterConfig("beta")  # type: ignore[index]


def test_durations_may_be_iso_8601_or_numbers(tmp_path: Path) -> None:
    config = load(tmp_path, "evaluation: {interval: PT30S, window: PT15M, pending: 0, monitor_timeout: 45}")
    assert (config.evaluation.interval, config.evaluation.window) == (30, 900)
    assert (config.evaluation.pending, config.evaluation.monitor_timeout) == (0, 45)


def test_parallelism_and_timeouts_are_read(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        evaluation: {parallel_monitors: 2, parallel_queries: 3, monitor_timeout: 500ms}
        alertmanager: {urls: ["http://a:9093", "https://b:9093"], timeout: 3s}
        """.replace("500ms", "0.5s"),
    )
    assert (config.evaluation.parallel_monitors, config.evaluation.parallel_queries) == (2, 3)
    assert config.evaluation.monitor_timeout == 0.5
    assert config.alertmanager == AlertmanagerConfig(urls=("http://a:9093", "https://b:9093"), timeout=3)


def test_source_options_other_than_type_are_kept(tmp_path: Path) -> None:
    config = load(tmp_path, "sources: {metrics: {type: druid, url: 'http://druid:8082', datasource: m}, logs: {}}")
    assert config.sources.metrics.type == "druid"
    assert dict(config.sources.metrics.options) == {"url": "http://druid:8082", "datasource": "m"}
    assert config.sources.logs == SourceConfig("embedded")


def test_inventory_settings_are_read(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        r"""
        inventory:
          process_pattern: '^(?P<role>[a-z]+)@(?P<service>[a-z]+)$'
          process_roles: {zkserver: zookeeper/server}
          window: 2h
        """,
    )
    assert config.inventory.process_pattern == "^(?P<role>[a-z]+)@(?P<service>[a-z]+)$"
    assert dict(config.inventory.process_roles) == {"zkserver": "zookeeper/server"}
    assert config.inventory.window == 7200


def test_links_template_is_read(tmp_path: Path) -> None:
    config = load(tmp_path, "links: {source: 'https://git.example/khp/blob/main/{path}#L{line}'}")
    assert config.links.source.format(path="m.py", line=3) == "https://git.example/khp/blob/main/m.py#L3"


def test_alert_pipeline_sections_default_sensibly(tmp_path: Path) -> None:
    config = load(tmp_path, "")
    assert (config.alertmanager.resend_interval, config.alertmanager.resolved_resend, config.alertmanager.retries) == (
        60,
        900,
        3,
    )
    assert config.routing == RoutingConfig()
    assert config.routing.timings == RouteTimings(group_wait=30, group_interval=300, repeat_interval=14400)
    assert config.silences == SilencesConfig(max_maintenance=7 * 86400, max_mute=7 * 86400)
    assert config.exporter == ExporterConfig(listen="127.0.0.1:9464")


def test_alert_pipeline_sections_are_read(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        alertmanager:
          urls: ["http://am1:9093/", "http://am2:9093"]
          resend_interval: 30s
          resolved_resend: 0
          retries: 0
        routing:
          receiver_url: https://khp.example/alertmanager
          credentials_file: /run/secrets/token
          channels: {warning: ["kakaowork:1"], critical: ["kakaowork:2", "kakaotalk:ops"]}
          group_wait: 10s
          repeat_interval: 1h
        silences: {max_maintenance: 2d, max_mute: PT12H}
        exporter: {listen: "0.0.0.0:9100"}
        """,
        clusters={"alpha.yml": "routing: {group_wait: 1m}\nchannels: {critical: ['slack:#ops']}\n"},
    )
    assert config.alertmanager.urls == ("http://am1:9093", "http://am2:9093")
    assert (config.alertmanager.resend_interval, config.alertmanager.resolved_resend, config.alertmanager.retries) == (
        30,
        0,
        0,
    )
    assert config.routing.receiver_url == "https://khp.example/alertmanager"
    assert config.routing.credentials_file == "/run/secrets/token"
    assert dict(config.routing.channels) == {"warning": ("kakaowork:1",), "critical": ("kakaowork:2", "kakaotalk:ops")}
    assert config.routing.timings == RouteTimings(group_wait=10, group_interval=300, repeat_interval=3600)
    assert config.silences == SilencesConfig(max_maintenance=2 * 86400, max_mute=12 * 3600)
    assert config.exporter.listen == "0.0.0.0:9100"
    alpha = config.clusters["alpha"]
    assert alpha.routing == RouteTimings(group_wait=60)
    assert dict(alpha.channels) == {"critical": ("slack:#ops",)}


@pytest.mark.parametrize("listen", ["''", "null"])
def test_an_empty_exporter_listen_turns_it_off(tmp_path: Path, listen: str) -> None:
    assert load(tmp_path, f"exporter: {{listen: {listen}}}").exporter.listen == ""


# -- store ----------------------------------------------------------------------------------------


def test_store_as_a_string_is_a_path_relative_to_khp_yml(tmp_path: Path) -> None:
    config = load(tmp_path, "store: data/khp.db")
    assert config.store == StoreConfig(path=tmp_path / "data/khp.db", retention=7 * 86400)


def test_store_as_a_mapping_has_path_and_retention(tmp_path: Path) -> None:
    absolute = tmp_path / "elsewhere" / "x.db"
    config = load(tmp_path, f"store: {{path: '{absolute}', retention: 2d}}")
    assert config.store == StoreConfig(path=absolute, retention=2 * 86400)


def test_store_mapping_without_path_keeps_the_default_file(tmp_path: Path) -> None:
    config = load(tmp_path, "store: {retention: PT12H}")
    assert config.store == StoreConfig(path=tmp_path / "var/khp.db", retention=12 * 3600)


def test_relative_paths_are_resolved_against_the_directory_of_khp_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = tmp_path / "etc"
    (etc / "mons").mkdir(parents=True)
    write(etc / "clusters/alpha.yml", "pending: 1m")
    path = write(etc / "khp.yml", "store: db/khp.db\nmonitors: [mons]\nclusters_dir: clusters\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    assert config.store.path == etc / "db/khp.db"
    assert config.monitors == (etc / "mons",)
    assert list(config.clusters) == ["alpha"]


# -- clusters ---------------------------------------------------------------------------------------


def test_cluster_files_are_named_after_their_cluster(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "thresholds: {k: {warning: 1, critical: 2}}",
        clusters={"alpha.yml": "", "beta-2.yaml": "pending: 0", "notes.txt": "not yaml: ["},
    )
    assert sorted(config.clusters) == ["alpha", "beta-2"]
    assert config.clusters["alpha"] == ClusterConfig(name="alpha", file=str(tmp_path / "clusters/alpha.yml"))
    assert config.clusters["beta-2"].pending == 0


def test_cluster_null_threshold_disables_both_levels(tmp_path: Path) -> None:
    config = load(
        tmp_path, "thresholds: {k: {warning: 1, critical: 2}}", clusters={"alpha.yml": "thresholds: {k: null}"}
    )
    assert dict(config.clusters["alpha"].thresholds["k"]) == {"warning": None, "critical": None}
    assert config.threshold("k", "alpha", "warning") is None
    assert config.threshold("k", "alpha", "critical") is None
    assert config.threshold("k", "beta", "warning") == 1


def test_cluster_null_level_disables_only_that_level(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "thresholds: {k: {warning: 1, critical: 2}}",
        clusters={"alpha.yml": "thresholds: {k: {warning: null}}"},
    )
    assert config.threshold("k", "alpha", "warning") is None
    assert config.threshold("k", "alpha", "critical") == 2


def test_global_threshold_levels_may_be_left_out_or_null(tmp_path: Path) -> None:
    config = load(tmp_path, "monitors: []\nthresholds: {a: {warning: 5}, b: {critical: null}, c: null}")
    assert dict(config.thresholds) == {"a": Threshold(5, None), "b": Threshold(None, None), "c": Threshold(None, None)}


def test_cluster_hosts_and_roles_are_read(tmp_path: Path) -> None:
    config = load(tmp_path, "", clusters={"alpha.yml": "hosts: {a-dn1: [hdfs/datanode, yarn/nodemanager], a-zk1: []}"})
    assert dict(config.clusters["alpha"].hosts) == {"a-dn1": ("hdfs/datanode", "yarn/nodemanager"), "a-zk1": ()}


def test_unknown_threshold_in_a_cluster_file_names_the_file_and_key(tmp_path: Path) -> None:
    error = failure(
        tmp_path,
        "monitors: []\nthresholds: {druid_slot_used_percent: {warning: 80}, kudu_tablets: {warning: 1}}",
        clusters={"alpha.yml": "thresholds: {druid_slot_usd_percent: {warning: 70}}"},
    )
    assert error.file == str(tmp_path / "clusters/alpha.yml")
    assert error.key == "thresholds.druid_slot_usd_percent"
    assert str(error).startswith(f"{tmp_path / 'clusters/alpha.yml'}: thresholds.druid_slot_usd_percent: ")
    assert "unknown threshold" in str(error)
    assert "druid_slot_used_percent, kudu_tablets" in str(error)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("colour: red", "colour", "unknown key; allowed keys here: thresholds, channels, pending, hosts"),
        ("thresholds: {k: {warning: high}}", "thresholds.k.warning", "expected a number, got str 'high'"),
        ("thresholds: {k: {warnin: 1}}", "thresholds.k.warnin", "allowed keys here: warning, critical"),
        ("thresholds: {k: 5}", "thresholds.k", "expected a mapping"),
        ("channels: {info: [x]}", "channels.info", "allowed keys here: warning, critical"),
        ("channels: {warning: 'kakaowork:1'}", "channels.warning", "expected a list of strings"),
        ("pending: soon", "pending", "not a duration"),
        ("hosts: {a-dn1: [datanode]}", "hosts.a-dn1[0]", "expected 'service/role'"),
        ("hosts: {a-dn1: hdfs/datanode}", "hosts.a-dn1", "expected a list of strings"),
        ("channels: {critical: [kakaowork]}", "channels.critical[0]", "expected 'channel:target'"),
        ("routing: {group_wait: soon}", "routing.group_wait", "is not a duration"),
        ("routing: {receiver_url: 'http://x'}", "routing.receiver_url", "allowed keys here: group_wait"),
        ("- just\n- a list\n", "", "expected a mapping, got a list"),
    ],
)
def test_cluster_file_errors_name_the_cluster_file_and_key(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    error = failure(tmp_path, "thresholds: {k: {warning: 1}}", clusters={"alpha.yml": text})
    assert error.file == str(tmp_path / "clusters/alpha.yml")
    assert error.key == key
    assert fragment in str(error)


def test_two_files_for_one_cluster_are_an_error(tmp_path: Path) -> None:
    error = failure(tmp_path, "", clusters={"alpha.yaml": "pending: 1m", "alpha.yml": "pending: 2m"})
    assert error.file == str(tmp_path / "clusters/alpha.yml")
    assert f"cluster alpha is also defined by {tmp_path / 'clusters/alpha.yaml'}" in str(error)


def test_a_cluster_file_name_must_be_a_cluster_name(tmp_path: Path) -> None:
    error = failure(tmp_path, "", clusters={"al pha.yml": ""})
    assert error.file == str(tmp_path / "clusters/al pha.yml")
    assert "named after its cluster" in str(error)


def test_clusters_dir_must_exist(tmp_path: Path) -> None:
    error = failure(tmp_path, "clusters_dir: nowhere")
    assert (error.file, error.key) == (str(tmp_path / "khp.yml"), "clusters_dir")
    assert "is not a directory" in str(error)


def test_monitors_lists_directories_and_bundled_names_the_bundled_ones(tmp_path: Path) -> None:
    (tmp_path / "mons").mkdir()
    assert load(tmp_path, "monitors: [bundled, mons]").monitors == (BUNDLED_DIR, tmp_path / "mons")
    assert load(tmp_path, "monitors: [mons]").monitors == (tmp_path / "mons",)
    assert load(tmp_path, "monitors: []").monitors == ()


def test_a_monitors_directory_may_bring_its_own_link_template(tmp_path: Path) -> None:
    rules = tmp_path / "elsewhere" / "rules" / "monitors"
    rules.mkdir(parents=True)
    (tmp_path / "deploy" / "mons").mkdir(parents=True)
    (tmp_path / "deploy" / "outside").mkdir()
    config = load(
        tmp_path / "deploy",
        f"""
        links: {{source: "https://git.example/khp/blob/main/{{path}}#L{{line}}"}}
        monitors:
          - bundled
          - mons
          - {{path: {rules}, source: "https://git.example/rules/blob/main/monitors/{{path}}#L{{line}}"}}
        """,
    )
    assert config.monitors == (BUNDLED_DIR, tmp_path / "deploy" / "mons", rules)
    links = config.links
    assert (
        links.link(str(rules / "disk.py"), 25, config.file)
        == "https://git.example/rules/blob/main/monitors/disk.py#L25"
    )
    assert links.link(str(rules / "sub" / "x.py"), 3, config.file).endswith("/monitors/sub/x.py#L3")
    assert links.link(str(BUNDLED_DIR / "kudu.py"), 9, config.file) == (
        "https://git.example/khp/blob/main/evaluator/monitors/kudu.py#L9"
    )
    assert links.link(str(tmp_path / "deploy" / "mons" / "m.py"), 4, config.file) == (
        "https://git.example/khp/blob/main/mons/m.py#L4"
    )
    # Neither in a directory with a template, nor in the project or beside khp.yml: a plain place.
    other = tmp_path / "elsewhere" / "loose.py"
    assert links.link(str(other), 7, config.file) == f"{other.as_posix()}:7"


def test_monitor_directories_must_exist(tmp_path: Path) -> None:
    (tmp_path / "mons").mkdir()
    error = failure(tmp_path, "monitors: [mons, missing]")
    assert error.key == "monitors[1]"
    assert str(tmp_path / "missing") in str(error)


# -- khp.yml errors ---------------------------------------------------------------------------------

TOP_KEYS = "sources, store, monitors, evaluation, inventory, alertmanager, links, thresholds, clusters_dir"


def allowed_keys(error: ConfigError) -> set[str]:
    """The keys an unknown-key error lists as allowed."""
    prefix = "unknown key; allowed keys here: "
    assert error.problem.startswith(prefix), error.problem
    return set(error.problem[len(prefix) :].split(", "))


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("clusterdir: x", "clusterdir", TOP_KEYS + ", routing, silences, exporter"),
        ("sources: {metric: {type: embedded}}", "sources.metric", "metrics, logs, processes"),
        ("store: {path: x.db, keep: 1d}", "store.keep", "path, retention"),
        (
            "evaluation: {intervall: 1m}",
            "evaluation.intervall",
            "interval, window, pending, monitor_timeout, parallel_monitors, parallel_queries",
        ),
        ("inventory: {roles: {}}", "inventory.roles", "process_pattern, process_roles, window"),
        (
            "alertmanager: {url: 'http://x'}",
            "alertmanager.url",
            "urls, timeout, resend_interval, resolved_resend, retries",
        ),
        ("routing: {receiver: x}", "routing.receiver", "receiver_url, credentials_file, channels, group_wait"),
        ("routing: {channels: {info: ['x:1']}}", "routing.channels.info", "warning, critical"),
        ("silences: {max_silence: 1d}", "silences.max_silence", "max_maintenance, max_mute"),
        ("exporter: {port: 9464}", "exporter.port", "listen"),
        ("links: {grafana: x}", "links.grafana", "source"),
        ("thresholds: {k: {warn: 1}}", "thresholds.k.warn", "warning, critical"),
    ],
)
def test_unknown_keys_list_the_allowed_ones(tmp_path: Path, text: str, key: str, allowed: str) -> None:
    error = failure(tmp_path, text)
    assert error.file == str(tmp_path / "khp.yml")
    assert error.key == key
    assert str(error).startswith(f"{tmp_path / 'khp.yml'}: {key}: unknown key; allowed keys here: ")
    assert set(allowed.split(", ")) <= allowed_keys(error)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("sources: {metrics: {type: 5}}", "sources.metrics.type", "expected a non-empty string, got int 5"),
        ("sources: {metrics: {type: ''}}", "sources.metrics.type", "expected a non-empty string"),
        ("sources: [metrics]", "sources", "expected a mapping, got a list"),
        ("sources: {metrics: embedded}", "sources.metrics", "expected a mapping, got str 'embedded'"),
        ("store: 5", "store", "expected a file path or a mapping {path, retention}, got int 5"),
        ("store: [a.db]", "store", "expected a file path or a mapping {path, retention}, got list"),
        ("store: {path: 5}", "store.path", "expected a non-empty string"),
        ("monitors: evaluator/monitors", "monitors", "expected a list of directories"),
        ("monitors: [5]", "monitors[0]", "expected a directory or {path: DIR, source: LINK_TEMPLATE}, got 5"),
        ("monitors: [{path: mons, links: x}]", "monitors[0].links", "unknown key; allowed keys here: path, source"),
        ("monitors: [{source: 'x{path}'}]", "monitors[0].path", "expected a non-empty string"),
        ("monitors: [{path: ., source: '{path}{nope}'}]", "monitors[0].source", "only {path} and {line}"),
        ("routing: {channels: {warning: ['kakaowrk:1']}}", "routing.channels.warning[0]", "unknown channel 'kakaowrk'"),
        ("routing: {channels: {warning: [':1']}}", "routing.channels.warning[0]", "expected 'channel:target'"),
        (
            "routing: {channels: {critical: ['kakaowork:']}}",
            "routing.channels.critical[0]",
            "expected 'channel:target'",
        ),
        ("evaluation: []", "evaluation", "expected a mapping, got a list"),
        (
            "evaluation: {parallel_monitors: two}",
            "evaluation.parallel_monitors",
            "expected a whole number of 1 or more",
        ),
        ("evaluation: {parallel_monitors: 0}", "evaluation.parallel_monitors", "expected a whole number of 1 or more"),
        ("evaluation: {parallel_queries: true}", "evaluation.parallel_queries", "expected a whole number"),
        ("evaluation: {parallel_queries: 2.5}", "evaluation.parallel_queries", "expected a whole number"),
        ("inventory: {process_pattern: '('}", "inventory.process_pattern", "not a regular expression"),
        ("inventory: {process_pattern: '^(.*)-(.*)$'}", "inventory.process_pattern", "(?P<service>...)"),
        ("inventory: {process_roles: {zk: zookeeper}}", "inventory.process_roles.zk", "expected 'service/role'"),
        ("inventory: {process_roles: {zk: 5}}", "inventory.process_roles.zk", "expected 'service/role'"),
        ("alertmanager: {urls: 'http://x:9093'}", "alertmanager.urls", "expected a list of strings"),
        ("alertmanager: {urls: ['ftp://x']}", "alertmanager.urls[0]", "expected an http:// or https:// URL"),
        ("alertmanager: {urls: [5]}", "alertmanager.urls[0]", "expected a string, got int 5"),
        ("alertmanager: {urls: []}", "alertmanager.urls", "list at least one Alertmanager"),
        ("alertmanager: {retries: -1}", "alertmanager.retries", "expected a whole number of 0 or more"),
        ("alertmanager: {resend_interval: 0}", "alertmanager.resend_interval", "must be longer than 0 seconds"),
        ("routing: {receiver_url: 'khp:8080'}", "routing.receiver_url", "expected an http:// or https:// URL"),
        ("routing: {channels: {warning: ['kakaowork']}}", "routing.channels.warning[0]", "expected 'channel:target'"),
        ("routing: {group_wait: 0s}", "routing.group_wait", "must be longer than 0 seconds"),
        ("routing: {repeat_interval: often}", "routing.repeat_interval", "is not a duration"),
        ("silences: {max_mute: forever}", "silences.max_mute", "is not a duration"),
        ("exporter: {listen: 9464}", "exporter.listen", "expected 'host:port'"),
        ("exporter: {listen: 'localhost'}", "exporter.listen", "expected 'host:port'"),
        ("links: {source: 'https://git/{file}'}", "links.source", "only {path} and {line} may be filled in"),
        ("links: {source: 'https://git/{0}'}", "links.source", "only {path} and {line} may be filled in"),
        ("thresholds: {k: {warning: high}}", "thresholds.k.warning", "expected a number, got str 'high'"),
        ("thresholds: {k: {critical: true}}", "thresholds.k.critical", "expected a number, got bool True"),
        ("thresholds: {k: 80}", "thresholds.k", "expected a mapping, got int 80"),
        ("thresholds: {'bad key': {warning: 1}}", "thresholds.bad key", "letters, digits and _"),
        ("thresholds: [k]", "thresholds", "expected a mapping"),
        ("clusters_dir: 5", "clusters_dir", "expected a non-empty string"),
    ],
)
def test_wrong_types_name_the_key_and_what_is_allowed(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    error = failure(tmp_path, text)
    assert error.file == str(tmp_path / "khp.yml")
    assert error.key == key
    assert str(error).startswith(f"{tmp_path / 'khp.yml'}: {key}: ")
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("evaluation: {interval: soon}", "evaluation.interval", "'soon' is not a duration"),
        ("evaluation: {window: 10 minutes}", "evaluation.window", "is not a duration"),
        ("evaluation: {interval: 0s}", "evaluation.interval", "must be longer than 0 seconds"),
        ("evaluation: {window: 0}", "evaluation.window", "must be longer than 0 seconds"),
        ("evaluation: {pending: -1}", "evaluation.pending", "negative"),
        ("evaluation: {pending: '-1m'}", "evaluation.pending", "is not a duration"),
        ("evaluation: {monitor_timeout: true}", "evaluation.monitor_timeout", "is not a duration"),
        ("store: {retention: forever}", "store.retention", "is not a duration"),
        ("inventory: {window: x}", "inventory.window", "is not a duration"),
        ("alertmanager: {timeout: 1y}", "alertmanager.timeout", "is not a duration"),
    ],
)
def test_bad_durations_name_the_key_and_the_accepted_forms(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    error = failure(tmp_path, text)
    assert error.key == key
    assert fragment in str(error)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yml")
    assert caught.value.file == str(tmp_path / "nope.yml")
    assert caught.value.key == ""
    assert str(caught.value).startswith(f"{tmp_path / 'nope.yml'}: file not found")


def test_a_directory_instead_of_a_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


def test_invalid_yaml_gives_the_line_number(tmp_path: Path) -> None:
    error = failure(tmp_path, "sources: {}\nevaluation:\n  interval: 1m\n  window: 10m: x\n")
    assert error.file == str(tmp_path / "khp.yml")
    assert "not valid YAML at line 4" in str(error)


def test_invalid_yaml_in_a_cluster_file_names_that_file(tmp_path: Path) -> None:
    error = failure(tmp_path, "", clusters={"alpha.yml": "pending: 1m\nthresholds: {k: [\n"})
    assert error.file == str(tmp_path / "clusters/alpha.yml")
    assert "not valid YAML at line" in str(error)


def test_a_top_level_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    error = failure(tmp_path, "- sources\n- store\n")
    assert str(error) == f"{tmp_path / 'khp.yml'}: expected a mapping, got a list"


def test_config_error_carries_file_key_and_problem() -> None:
    error = ConfigError("khp.yml", "evaluation.interval", "expected a duration")
    assert (error.file, error.key, error.problem) == ("khp.yml", "evaluation.interval", "expected a duration")
    assert str(error) == "khp.yml: evaluation.interval: expected a duration"
    assert str(ConfigError("khp.yml", "", "file not found")) == "khp.yml: file not found"


def test_an_unknown_channel_lists_the_installed_ones(tmp_path: Path) -> None:
    error = failure(tmp_path, "", clusters={"alpha.yml": "channels: {critical: ['kakaowork:1', 'kakaowrk:2']}"})
    assert (error.file, error.key) == (str(tmp_path / "clusters" / "alpha.yml"), "channels.critical[1]")
    assert error.problem.startswith(
        "unknown channel 'kakaowrk' in 'kakaowrk:2'; the channels are: console, kakaotalk, kakaowork, slack, webhook"
    )


def test_config_from_reads_khp_yml_content_and_inline_cluster_files(tmp_path: Path) -> None:
    from khp.configuration import config_from

    (tmp_path / "mons").mkdir()
    config = config_from(
        {"monitors": ["mons"], "thresholds": {"k": {"warning": 1}}},
        tmp_path / "rules.yml",
        {"beta": {"thresholds": {"k": {"warning": 3}}, "pending": "10m"}},
        key="config",
        clusters_key="clusters",
    )
    assert config.monitors == (tmp_path / "mons",)
    assert config.threshold("k", "beta", "warning") == 3
    assert config.clusters["beta"].pending == 600
    with pytest.raises(ConfigError) as caught:
        config_from(
            {"monitors": []},
            tmp_path / "rules.yml",
            {"beta": {"thresholds": {"kk": {"warning": 3}}}},
            clusters_key="clusters",
        )
    assert (caught.value.file, caught.value.key) == (str(tmp_path / "rules.yml"), "clusters.beta.thresholds.kk")
    with pytest.raises(ConfigError) as caught:
        config_from({"evaluation": {"window": "forever"}}, tmp_path / "rules.yml", key="config")
    assert caught.value.key == "config.evaluation.window"


# -- no data, stale feeds and the heartbeat -------------------------------------------------------


def test_no_data_and_stale_feeds_have_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "evaluation: {window: 5m}\n", {"alpha.yml": ""})
    assert config.evaluation.nodata_hold == 900  # 15 minutes
    assert config.evaluation.stale_after is None and config.evaluation.stale == 900  # three windows
    assert (config.nodata_hold("alpha"), config.stale_after("alpha")) == (900, 900)
    assert config.nodata_hold(None) == 900  # a problem of no cluster (a failed monitor)
    assert config.heartbeat == HeartbeatConfig(group_interval=30, repeat_interval=60)


def test_no_data_and_stale_feeds_are_set_globally_and_per_cluster(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "evaluation: {nodata_hold: 30m, stale_after: 1h}\nheartbeat: {group_interval: 10s, repeat_interval: 2m}\n",
        {"alpha.yml": "nodata_hold: 5m\nstale_after: 20m\n", "beta.yml": "nodata_hold: 0s\n"},
    )
    assert (config.evaluation.nodata_hold, config.evaluation.stale) == (1800, 3600)
    assert (config.nodata_hold("alpha"), config.stale_after("alpha")) == (300, 1200)
    assert (config.nodata_hold("beta"), config.stale_after("beta")) == (0, 3600)
    assert (config.nodata_hold("gamma"), config.stale_after("gamma")) == (1800, 3600)
    assert config.heartbeat == HeartbeatConfig(group_interval=10, repeat_interval=120)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("evaluation: {stale_after: 5m}\n", "evaluation.stale_after", "must be longer than evaluation.window (600s)"),
        ("evaluation: {nodata_hold: soon}\n", "evaluation.nodata_hold", "is not a duration"),
        ("heartbeat: {repeat_interval: 0s}\n", "heartbeat.repeat_interval", "must be longer than 0 seconds"),
        ("heartbeat: {every: 1m}\n", "heartbeat.every", "allowed keys here: group_interval, repeat_interval"),
    ],
)
def test_bad_no_data_and_heartbeat_settings_name_the_key(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    error = failure(tmp_path, text)
    assert error.key == key and fragment in str(error)


def test_a_bad_cluster_hold_names_the_cluster_file(tmp_path: Path) -> None:
    error = failure(tmp_path, "", {"alpha.yml": "stale_after: never\n"})
    assert error.file.endswith("alpha.yml") and error.key == "stale_after"
