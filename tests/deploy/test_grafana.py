"""The Grafana provisioning: valid dashboard JSON on the exporter's metrics, checked by promtool."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter import ExporterState, KhpCollector
from tests.realparts.prometheus import PROMTOOL, require_prometheus

from . import compose
from .grafana import (
    DASHBOARDS,
    DATASOURCE,
    DATASOURCE_UID,
    GRAFANA,
    ROOT,
    load_dashboards,
    panels,
    placeholders,
    substitute,
    targets,
    variables,
)

EXPECTED = {"fleet.json": "khp-fleet", "cluster.json": "khp-cluster", "evaluator.json": "khp-evaluator"}
NOT_ON_A_DASHBOARD = {
    # equal to khp_cycle_last_timestamp_seconds in `khp run` (it evaluates as of now); it matters to backtests
    "khp_cycle_evaluation_timestamp_seconds",
}


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict[str, Any]]:
    return load_dashboards()


def test_the_three_dashboards_have_their_uids_and_a_schema_version(dashboards: dict[str, dict[str, Any]]) -> None:
    assert {name: d["uid"] for name, d in dashboards.items()} == EXPECTED
    for name, dashboard in dashboards.items():
        assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36, name
        assert dashboard["id"] is None, f"{name}: provisioned dashboards carry no database id"
        assert dashboard["title"].startswith("khp / ") and "khp" in dashboard["tags"], name


def test_panels_have_unique_ids_and_a_place_on_the_grid(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, dashboard in dashboards.items():
        ids = [panel["id"] for panel in panels(dashboard)]
        assert len(ids) == len(set(ids)), f"{name}: duplicate panel ids"
        cells: dict[tuple[int, int], str] = {}
        for panel in panels(dashboard):
            grid = panel["gridPos"]
            assert all(isinstance(grid[k], int) for k in "hwxy"), f"{name}: {panel['title']}: {grid}"
            assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, f"{name}: {panel['title']}"
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    other = cells.setdefault((x, y), panel["title"])
                    assert other == panel["title"], f"{name}: {panel['title']!r} overlaps {other!r}"


def test_every_query_panel_has_prometheus_targets_with_expr_and_ref_id(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, dashboard in dashboards.items():
        for panel in panels(dashboard):
            if panel["type"] == "row":
                continue
            where = f"{name}: {panel['title']}"
            assert panel["datasource"] == DATASOURCE, where
            assert panel["targets"], f"{where}: no targets"
            refs = [target["refId"] for target in panel["targets"]]
            assert len(refs) == len(set(refs)), f"{where}: duplicate refId"
            for target in panel["targets"]:
                assert target["datasource"] == DATASOURCE, where
                assert isinstance(target["expr"], str) and target["expr"].strip(), where


def _datasources(node: Any) -> list[Any]:
    if isinstance(node, dict):
        found = [node["datasource"]] if "datasource" in node else []
        return found + [d for value in node.values() for d in _datasources(value)]
    if isinstance(node, list):
        return [d for item in node for d in _datasources(item)]
    return []


def test_every_datasource_reference_is_the_provisioned_uid(dashboards: dict[str, dict[str, Any]]) -> None:
    provisioned = yaml.safe_load((GRAFANA / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert [(d["uid"], d["type"]) for d in provisioned] == [(DATASOURCE_UID, "prometheus")]
    for name, dashboard in dashboards.items():
        for reference in _datasources(dashboard):
            assert isinstance(reference, dict), f"{name}: datasource by name {reference!r}; reference it by uid"
            if reference.get("type") != "grafana":  # the built-in annotations
                assert reference == DATASOURCE, f"{name}: {reference}"


def test_variables_are_defined_and_links_name_existing_dashboards(dashboards: dict[str, dict[str, Any]]) -> None:
    uids = set(EXPECTED.values())
    for name, dashboard in dashboards.items():
        values = placeholders(dashboard)
        for target in targets(dashboard):
            substitute(target.expr, values)  # KeyError names an undefined variable
            if target.repeat:
                assert target.repeat in values, f"{name}: {target.panel} repeats on an undefined variable"
        text = json.dumps(dashboard)
        for uid in re.findall(r"/d/([\w-]+)", text):
            assert uid in uids, f"{name}: link to unknown dashboard {uid}"
    cluster = next(v for v in variables(dashboards["cluster.json"]) if v.name == "cluster")
    assert (cluster.selector, cluster.label, cluster.multi) == ("khp_problems", "cluster", False)


def test_every_exported_metric_is_on_a_dashboard(dashboards: dict[str, dict[str, Any]]) -> None:
    exported = {family.name for family in KhpCollector(ExporterState()).describe()}
    queries = " ".join(t.expr for d in dashboards.values() for t in targets(d))
    missing = sorted(name for name in exported - NOT_ON_A_DASHBOARD if not re.search(rf"\b{name}", queries))
    assert missing == []


def test_provisioning_loads_these_dashboards_and_queries_the_compose_prometheus() -> None:
    grafana = compose.load()["services"]["grafana"]
    provider = yaml.safe_load((GRAFANA / "dashboards" / "khp.yml").read_text())["providers"]
    assert [p["type"] for p in provider] == ["file"]
    shown = compose.repo_path(grafana, provider[0]["options"]["path"])
    assert shown == DASHBOARDS.resolve()
    assert sorted(p.name for p in shown.glob("*.json")) == sorted(EXPECTED)
    home = compose.environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert compose.repo_path(grafana, home) == (DASHBOARDS / "fleet.json").resolve()
    assert (
        compose.repo_path(grafana, "/etc/grafana/provisioning/datasources/prometheus.yml")
        == (GRAFANA / "datasources" / "prometheus.yml").resolve()
    )

    (source,) = yaml.safe_load((GRAFANA / "datasources" / "prometheus.yml").read_text())["datasources"]
    prometheus = compose.load()["services"]["prometheus"]
    (listen,) = compose.flag(prometheus, "web.listen-address")
    assert compose.host_port(source["url"]) == ("prometheus", compose.host_port(listen)[1])
    scrape = yaml.safe_load((ROOT / "configs" / "prometheus" / "prometheus.yml").read_text())["global"]
    assert source["jsonData"]["timeInterval"] == scrape["scrape_interval"]


def test_every_query_passes_promtool(tmp_path: Path, dashboards: dict[str, dict[str, Any]]) -> None:
    """Every expression (and variable selector), its variables filled in, as a recording rule for promtool."""
    require_prometheus()
    assert PROMTOOL is not None
    groups = []
    for dashboard in dashboards.values():
        values = placeholders(dashboard)
        exprs = [substitute(t.expr, values) for t in targets(dashboard)]
        exprs += [f"count by ({v.label}) ({substitute(v.selector, values)})" for v in variables(dashboard)]
        name = dashboard["uid"].replace("-", "_")
        rules = [{"record": f"{name}:query_{index}", "expr": expr} for index, expr in enumerate(exprs)]
        groups.append({"name": dashboard["uid"], "rules": rules})
    rules_file = tmp_path / "dashboards.rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    done = subprocess.run(
        [PROMTOOL, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    count = sum(len(g["rules"]) for g in groups)
    assert f"SUCCESS: {count} rules found" in done.stdout
