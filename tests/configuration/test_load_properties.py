"""Property: any khp.yml content either loads or is one ConfigError naming the file; never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from khp.configuration import ConfigError, load_config
from tests.badinput import bad_khp_yml

# Valid YAML of any shape: what a hand-edited file may turn into.
YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def load(text: str) -> Any:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "khp.yml"
        path.write_text(text, encoding="utf-8")
        before = sorted(Path(directory).rglob("*"))
        try:
            return load_config(path)
        except ConfigError as exc:
            assert str(exc).startswith(f"{path}: "), exc
            assert "\n" not in exc.problem or "YAML" in exc.problem
            return exc
        finally:
            assert sorted(Path(directory).rglob("*")) == before  # nothing written


@given(bad_khp_yml())
def test_a_wrong_value_is_one_config_error_naming_the_key(case: tuple[dict[str, Any], str]) -> None:
    content, section = case
    outcome = load(yaml.safe_dump(content, allow_unicode=True))
    assert isinstance(outcome, ConfigError), f"accepted: {content}"
    assert outcome.key.startswith(section), (outcome.key, section)
    assert outcome.problem


@given(st.dictionaries(st.sampled_from(["evaluation", "thresholds", "sources", "links", "routing"]), YAML_VALUES))
def test_any_shape_under_known_keys_loads_or_is_a_config_error(content: dict[str, Any]) -> None:
    load(yaml.safe_dump(content, allow_unicode=True))


@given(st.text(max_size=200))
def test_any_text_loads_or_is_a_config_error(text: str) -> None:
    load(text)  # duplicate keys are left to YAML parsing's own checks
