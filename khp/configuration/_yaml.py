"""Parse configuration YAML with libyaml, where a repeated key is an error instead of a silent overwrite.

PyYAML's pure-Python parser takes about ten times as long as libyaml's, which matters with a
thousand cluster files; PyYAML built without libyaml falls back to it. A mapping that names a
key twice keeps only the last value in plain YAML loading, so an edited threshold could be
silently replaced by a forgotten copy below it: here it fails with the file, both lines and
the dotted key.
"""

from __future__ import annotations

from typing import Any

import yaml

from ._errors import ConfigError

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

__all__ = ["parse_yaml"]


class _RepeatedKey(Exception):
    def __init__(self, mapping: yaml.MappingNode, key: Any, first: yaml.Node, again: yaml.Node) -> None:
        super().__init__(key)
        self.mapping = mapping
        self.key = key
        self.first = first
        self.again = again


class _Loader(_SafeLoader):
    """libyaml's safe loader; ``construct_mapping`` refuses a key given twice."""

    def construct_document(self, node: yaml.Node) -> Any:
        self.khp_root = node
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        own = node.value  # the mapping's own pairs: merging (<<) prepends others in a new list
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):  # fewer keys than pairs: a repeat, or a merge overriding
            _refuse_repeats(self, node, own)
        return mapping


def _refuse_repeats(loader: _Loader, node: yaml.MappingNode, pairs: list[tuple[yaml.Node, yaml.Node]]) -> None:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _value in pairs:
        key = loader.construct_object(key_node)  # constructed already: this is a look-up
        if key in seen:
            raise _RepeatedKey(node, key, seen[key], key_node)
        seen[key] = key_node


def parse_yaml(text: str, file: str) -> Any:
    """The data of the YAML document ``text``; a ``ConfigError`` naming ``file`` and the line if it is not valid."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except _RepeatedKey as repeat:
        path = _path_to(loader.khp_root, repeat.mapping)
        key = ".".join([*path, str(repeat.key)])
        first, again = repeat.first.start_mark, repeat.again.start_mark
        where = f"line {again.line + 1} (first at line {first.line + 1})"
        if first.line == again.line:
            where = f"line {again.line + 1}, column {again.column + 1} (first at column {first.column + 1})"
        raise ConfigError(
            file, key, f"key repeated at {where}; YAML would silently keep only the last value: remove one"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError(file, "", f"not valid YAML at {where}: {getattr(exc, 'problem', exc)}") from None
    finally:
        loader.dispose()


def _path_to(root: yaml.Node, target: yaml.Node) -> list[str]:
    """The dotted-key parts from ``root`` to the node ``target`` (``[i]`` for list items)."""
    stack: list[tuple[yaml.Node, list[str]]] = [(root, [])]
    visited: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in visited:  # an alias: the same node again
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                stack.append((value_node, [*path, str(getattr(key_node, "value", key_node))]))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                parts = [*path[:-1], f"{path[-1]}[{index}]"] if path else [f"[{index}]"]
                stack.append((item, parts))
    return []
