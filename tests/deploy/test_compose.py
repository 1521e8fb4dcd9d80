"""docker-compose.yml against the repository and the configs its services run with.

No Docker engine here: the file is parsed, and every path, port, URL and secret it names is
checked against deploy/khp.yml, deploy/alertmanager.yml, configs/prometheus and configs/grafana.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from kakao_receiver import receiver_settings
from khp.configuration import Config, load_config
from khp.history import history_settings

from . import compose
from .grafana import ROOT

DEPLOY = ROOT / "deploy"
EVALUATORS = ("evaluator", "evaluator-2")
SERVICES = {*EVALUATORS, "receiver", "alertmanager-1", "alertmanager-2", "prometheus", "grafana", "elasticsearch"}
ALERTMANAGERS = ("alertmanager-1", "alertmanager-2")
PUBLISHED = {"receiver", "alertmanager-1", "prometheus", "grafana"}  # what a person or KakaoWork must reach
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|(^|_)KEY($|_)", re.IGNORECASE)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return compose.load()


@pytest.fixture(scope="module")
def services(spec: dict[str, Any]) -> dict[str, Any]:
    return dict(spec["services"])


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(DEPLOY / "khp.yml")


@pytest.fixture(scope="module")
def scrape() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "configs" / "prometheus" / "prometheus.yml").read_text())


def test_the_stack_has_its_services_on_the_pinned_images(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES
    assert services["alertmanager-1"]["image"] == services["alertmanager-2"]["image"] == "prom/alertmanager:v0.25.0"
    assert services["prometheus"]["image"] == "prom/prometheus:v2.42.0"
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    assert services["elasticsearch"]["image"].startswith("docker.elastic.co/elasticsearch/elasticsearch:8.")
    for name in (*EVALUATORS, "receiver"):
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["evaluator"]["image"]


def test_everything_it_mounts_or_builds_from_exists(services: dict[str, Any]) -> None:
    assert (ROOT / "Dockerfile").is_file() and (ROOT / ".dockerignore").is_file()
    for name, service in services.items():
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file(), name
        for mount in compose.mounts(service):
            if mount.is_bind:
                assert mount.repo_path.exists(), f"{name} mounts {mount.source}, which is not in the repository"
                assert mount.repo_path.is_relative_to(ROOT), f"{name} mounts {mount.source} from outside the repo"
                assert mount.read_only, f"{name}: mount {mount.source} read-only (:ro); state goes in volumes"


def test_named_volumes_are_declared_and_used(spec: dict[str, Any], services: dict[str, Any]) -> None:
    used = {m.source for s in services.values() for m in compose.mounts(s) if not m.is_bind}
    assert used == set(spec["volumes"])


def test_depends_on_names_services_and_waits_only_on_healthchecks(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for other, condition in compose.depends_on(service).items():
            assert other in services, f"{name} depends on {other}, which is not a service"
            if condition == "service_healthy":
                assert "healthcheck" in services[other], f"{name} waits for {other} to be healthy; it has no check"


def test_only_the_services_people_reach_publish_ports(services: dict[str, Any]) -> None:
    assert {name for name, s in services.items() if s.get("ports")} == PUBLISHED
    # no authentication of their own: only on the host's loopback
    assert compose.published(services["alertmanager-1"]) == {9093: "127.0.0.1:9093"}
    assert compose.published(services["prometheus"]) == {9090: "127.0.0.1:9090"}
    assert set(compose.published(services["grafana"])) == {3000}


def test_no_secret_is_written_in_the_file(spec: dict[str, Any], services: dict[str, Any]) -> None:
    for name, service in services.items():
        for key, value in compose.environment(service).items():
            if SECRET_NAME.search(key):
                match = compose.REFERENCE.fullmatch(value)
                assert match, f"{name}: {key} must be a ${{VAR}} reference, not a value"
                rest = match["rest"]
                assert rest.startswith(":?") or rest in ("", ":-"), f"{name}: {key}: no default value for a secret"
    for name, secret in spec["secrets"].items():
        assert set(secret) == {"environment"}, f"secret {name}: take it from the environment, not a file"
    for text in compose.strings(spec):  # e.g. "-u elastic:s3cret" or "PASSWORD=s3cret" in a command
        literal = re.sub(r"\$+\{[^}]*\}", "", text)
        assert not re.search(r"(password|token|secret)[=:]\s*[^\s'\"]", literal, re.IGNORECASE), text


def _env_example() -> dict[str, str]:
    lines = (DEPLOY / "khp.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_the_env_example_lists_every_variable_the_file_uses_and_no_value(spec: dict[str, Any]) -> None:
    example = _env_example()
    assert all(value == "" for value in example.values()), "deploy/khp.env.example holds values"
    referenced = {m["name"] for text in compose.strings(spec) for m in compose.REFERENCE.finditer(text)}
    referenced |= {secret["environment"] for secret in spec["secrets"].values()}
    assert referenced == set(example)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "deploy/khp.env" in ignored


def test_the_khp_services_run_deploy_khp_yml_with_state_on_volumes(services: dict[str, Any], config: Config) -> None:
    for name in (*EVALUATORS, "receiver"):
        service = services[name]
        environment = compose.environment(service)
        mounted = PurePosixPath(environment["KHP_CONFIG"])
        assert compose.repo_path(service, mounted) == (DEPLOY / "khp.yml").resolve(), name
        container_root = mounted.parents[1]  # /srv/khp: the repository's layout

        def inside(path: Path, root: PurePosixPath = container_root) -> PurePosixPath:
            return root.joinpath(*Path(os.path.normpath(path)).relative_to(ROOT).parts)

        clusters = inside(ROOT / "configs" / "clusters")
        assert compose.repo_path(service, clusters) == (ROOT / "configs" / "clusters").resolve(), name
        history = history_settings(config, environ={"ELASTIC_PASSWORD": "x"}).elasticsearch
        assert history is not None
        state = [config.store.path, history.spool, history.dead_letter]
        if name == "receiver":
            settings = receiver_settings(config)
            state.append(settings.outbox)
            token_file = settings.channels["kakaotalk"]["token_file"]
            assert compose.volume_for(service, token_file) == "receiver-var"
        volume = "receiver-var" if name == "receiver" else "evaluator-var"  # the pair shares one
        for path in state:
            assert compose.volume_for(service, inside(path)) == volume, f"{name}: {path} is not on a volume"
        assert environment["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD")
    assert compose.command(services["evaluator"]) == compose.command(services["evaluator-2"]) == ["run"]


def test_the_evaluator_exporter_is_what_prometheus_scrapes(services: dict[str, Any], config: Config, scrape) -> None:
    host, port = compose.host_port(config.exporter.listen)
    assert host == "0.0.0.0", "other containers must reach the exporter"
    (job,) = (job for job in scrape["scrape_configs"] if job["job_name"] == "khp-evaluator")
    assert [t for c in job["static_configs"] for t in c["targets"]] == [f"{name}:{port}" for name in EVALUATORS]
    for name in EVALUATORS:
        assert f"127.0.0.1:{port}/metrics" in " ".join(services[name]["healthcheck"]["test"])


def test_the_evaluators_are_one_ha_pair_of_one_configuration(services: dict[str, Any]) -> None:
    first, second = (services[name] for name in EVALUATORS)
    for key in ("command", "environment", "volumes", "depends_on", "healthcheck", "image"):
        assert first[key] == second[key], f"the evaluators differ in {key}"
    assert "ports" not in first and "ports" not in second


def test_the_receiver_listens_where_alertmanager_posts(services: dict[str, Any], config: Config) -> None:
    receiver = services["receiver"]
    assert receiver["entrypoint"] == ["gunicorn"]
    assert compose.flag(receiver, "config") == ["python:kakao_receiver.gunicorn_conf"]  # the worker model
    assert compose.command(receiver)[-1] == "kakao_receiver.wsgi:app"
    assert (ROOT / "kakao_receiver" / "wsgi.py").is_file()
    (bind,) = compose.flag(receiver, "bind")
    bind_host, bind_port = compose.host_port(bind)
    assert bind_host == "0.0.0.0"
    url = urllib.parse.urlsplit(config.routing.receiver_url)
    assert (url.hostname, url.port) == ("receiver", bind_port)
    assert url.path == receiver_settings(config).path
    assert set(compose.published(receiver)) == {bind_port}
    assert f"127.0.0.1:{bind_port}/healthz" in " ".join(receiver["healthcheck"]["test"])
    environment = compose.environment(receiver)
    assert receiver_settings(config).channels["kakaowork"]["app_key_env"] in environment


def test_the_alertmanagers_are_an_ha_pair_that_khp_and_prometheus_both_send_to(
    services: dict[str, Any], config: Config, scrape: dict[str, Any]
) -> None:
    web = {name: compose.host_port(compose.flag(services[name], "web.listen-address")[0])[1] for name in ALERTMANAGERS}
    gossip = {
        name: compose.host_port(compose.flag(services[name], "cluster.listen-address")[0])[1] for name in ALERTMANAGERS
    }
    assert web == dict.fromkeys(ALERTMANAGERS, 9093) and gossip == dict.fromkeys(ALERTMANAGERS, 9094)
    assert [compose.host_port(url) for url in config.alertmanager.urls] == [(name, 9093) for name in ALERTMANAGERS]
    first, second = ALERTMANAGERS
    assert compose.flag(services[first], "cluster.peer") == [f"{second}:{gossip[second]}"]
    assert compose.flag(services[second], "cluster.peer") == [f"{first}:{gossip[first]}"]
    (alerting,) = scrape["alerting"]["alertmanagers"]
    assert [t for c in alerting["static_configs"] for t in c["targets"]] == [f"{name}:9093" for name in ALERTMANAGERS]
    rendered = DEPLOY / "alertmanager.yml"
    for name in ALERTMANAGERS:
        (config_file,) = compose.flag(services[name], "config.file")
        assert compose.repo_path(services[name], config_file) == rendered.resolve()
        (storage,) = compose.flag(services[name], "storage.path")
        assert compose.volume_for(services[name], storage) == f"{name}-data"


def test_alertmanager_and_the_receiver_share_the_token_secret(services: dict[str, Any], config: Config) -> None:
    secret = PurePosixPath(config.routing.credentials_file)
    assert secret.parent == PurePosixPath("/run/secrets")
    for name in (*ALERTMANAGERS, "receiver"):
        assert services[name]["secrets"] == [secret.name], name
    assert receiver_settings(config).token_file == Path(secret)
    am = yaml.safe_load((DEPLOY / "alertmanager.yml").read_text())
    files = {
        hook["http_config"]["authorization"]["credentials_file"]
        for receiver in am["receivers"]
        for hook in receiver["webhook_configs"]
    }
    assert files == {str(secret)}


def test_prometheus_runs_the_repository_config(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    (config_file,) = compose.flag(prometheus, "config.file")
    assert compose.repo_path(prometheus, config_file) == (ROOT / "configs" / "prometheus" / "prometheus.yml").resolve()
    (listen,) = compose.flag(prometheus, "web.listen-address")
    assert set(compose.published(prometheus)) == {compose.host_port(listen)[1]}
    (storage,) = compose.flag(prometheus, "storage.tsdb.path")
    assert compose.volume_for(prometheus, storage) == "prometheus-data"


def test_the_history_goes_to_the_compose_elasticsearch(services: dict[str, Any], config: Config) -> None:
    settings = history_settings(config, environ={"ELASTIC_PASSWORD": "x"})
    assert settings.type == "elasticsearch" and settings.elasticsearch is not None
    assert [compose.host_port(h) for h in settings.elasticsearch.connection.hosts] == [("elasticsearch", 9200)]
    assert settings.elasticsearch.index_prefix == "khp-alert-history"
    environment = compose.environment(services["elasticsearch"])
    assert environment["discovery.type"] == "single-node"
    assert environment["xpack.security.enabled"] == "true"
    assert environment["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD:?")
    assert compose.volume_for(services["elasticsearch"], "/usr/share/elasticsearch/data") == "elasticsearch-data"
