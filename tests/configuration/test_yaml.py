"""Configuration YAML: libyaml's parser, and a key given twice is an error naming file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from khp.configuration import ConfigError, load_config
from khp.configuration._yaml import parse_yaml

from .test_load import setup


def repeated(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(textwrap.dedent(text), "f.yml")
    return caught.value


def test_it_reads_what_safe_load_reads() -> None:
    text = textwrap.dedent(
        """\
        sources: {metrics: {type: embedded}}
        evaluation: {interval: 1m, parallel_queries: 16}
        thresholds:
          druid_slot_used_percent: {warning: 80.5, critical: null}
          kudu_tablets: {warning: 0x10, critical: 1_000}
        flags: [yes, no, true, ~, '2026-11-29']
        when: 2026-11-29
        base: &base {group_wait: 30s, group_interval: 5m}
        routing:
          <<: *base
          group_wait: 1m
        """
    )
    assert parse_yaml(text, "f.yml") == yaml.safe_load(text)
    assert parse_yaml(text, "f.yml")["routing"] == {"group_wait": "1m", "group_interval": "5m"}


def test_an_empty_document_is_none() -> None:
    assert parse_yaml("", "f.yml") is None
    assert parse_yaml("# only a comment\n", "f.yml") is None


def test_a_repeated_key_names_the_dotted_key_and_both_lines() -> None:
    error = repeated(
        """\
        thresholds:
          druid_slot_used_percent: {warning: 70}
          kudu_tablets: {warning: 10}
          druid_slot_used_percent: {warning: 90}
        """
    )
    assert (error.file, error.key) == ("f.yml", "thresholds.druid_slot_used_percent")
    assert "repeated at line 4 (first at line 2)" in error.problem
    assert str(error).startswith("f.yml: thresholds.druid_slot_used_percent: key repeated at line 4")
    assert "remove one" in error.problem


def test_a_repeated_top_level_key_is_refused() -> None:
    error = repeated("store: a.db\npending: 1m\nstore: b.db\n")
    assert error.key == "store"
    assert "line 3 (first at line 1)" in error.problem


def test_a_repeat_on_one_line_names_the_columns() -> None:
    error = repeated("thresholds: {k: {warning: 1, warning: 2}}\n")
    assert error.key == "thresholds.k.warning"
    assert "line 1, column 30 (first at column 18)" in error.problem


def test_a_repeat_inside_a_list_names_the_item() -> None:
    error = repeated(
        """\
        hosts:
          h1: [zookeeper/server, {a: 1, a: 2}]
        """
    )
    assert error.key == "hosts.h1[1].a"


def test_keys_that_are_equal_values_are_repeats() -> None:
    assert repeated("1: a\n0x1: b\n").key == "1"
    assert repeated("yes: a\ntrue: b\n").key == "True"


def test_a_merged_key_may_be_overridden_but_not_repeated() -> None:
    assert parse_yaml("b: &b {x: 1}\nd: {<<: *b, x: 2}\n", "f.yml") == {"b": {"x": 1}, "d": {"x": 2}}
    error = repeated("b: &b {x: 1}\nd: {<<: *b, x: 2, x: 3}\n")
    assert error.key == "d.x"


def test_an_alias_of_a_mapping_is_not_a_repeat() -> None:
    assert parse_yaml("a: &a {p: 1}\nb: *a\nc: *a\n", "f.yml") == {"a": {"p": 1}, "b": {"p": 1}, "c": {"p": 1}}


def test_invalid_yaml_keeps_its_line_and_column() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("a: [1, 2\n", "f.yml")
    assert caught.value.key == ""
    assert "not valid YAML at line 2, column 1" in caught.value.problem


def test_a_repeated_key_in_khp_yml_stops_the_load(tmp_path: Path) -> None:
    path = setup(tmp_path, "thresholds:\n  k1: {warning: 1}\nevaluation: {interval: 1m}\nthresholds: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.file == str(path)
    assert caught.value.key == "thresholds"
    assert "line 4 (first at line 1)" in caught.value.problem


def test_a_repeated_key_in_a_cluster_file_names_that_file(tmp_path: Path) -> None:
    path = setup(
        tmp_path,
        "monitors: []\nthresholds: {disk: {warning: 80}}\n",
        clusters={"alpha.yml": "thresholds:\n  disk: {warning: 70}\npending: 1m\nthresholds:\n  disk: {warning: 90}\n"},
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.file == str(tmp_path / "clusters/alpha.yml")
    assert caught.value.key == "thresholds"
    assert "line 4 (first at line 1)" in caught.value.problem
