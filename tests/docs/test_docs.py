"""The docs a newcomer reads: a short README, links that lead somewhere, reference pages generated from the code."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from khp._reference import MEANINGS, REGENERATE, pages, recorded_keys
from khp._reference_meanings import SECTIONS
from khp.configuration import ConfigSection
from khp.configuration._reader import recording

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return pages()


@pytest.mark.parametrize("page", ["docs/reference/configuration.md", "docs/reference/cli.md"])
def test_the_committed_reference_is_the_generated_one(page: str, generated: dict[str, str]) -> None:
    assert (ROOT / page).read_text(encoding="utf-8") == generated[page], f"{page} is stale: run `{REGENERATE}`"


def test_every_key_the_readers_accept_has_a_meaning_and_every_meaning_a_key() -> None:
    keys = set(recorded_keys())
    assert len(keys) > 200
    assert sorted(keys - set(MEANINGS)) == [], "keys without a meaning in khp/_reference_meanings.py"
    assert sorted(set(MEANINGS) - keys) == [], "meanings of keys no reader accepts"


def test_every_key_has_a_type_and_is_on_the_page_once(generated: dict[str, str]) -> None:
    keys = recorded_keys()
    for key, read in keys.items():
        assert read.kind or MEANINGS[key].kind, f"{key}: no type"
    placed = Counter(
        (scope, key)
        for scope, key in keys
        for _title, prefixes, where, _intro in SECTIONS
        if where == scope and any(key == p or key.startswith((p + ".", p + "[")) for p in prefixes)
    )
    assert set(placed) == set(keys)
    assert max(placed.values()) == 1
    page = generated["docs/reference/configuration.md"]
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == len(keys)


def test_the_configuration_reference_shows_what_the_code_reads() -> None:
    page = pages()["docs/reference/configuration.md"]
    assert "| `evaluation.nodata_hold` | duration | `15m` |" in page
    assert "| `receiver.delivery.workers` | whole number, 1 or more | `2` |" in page
    assert "| `receiver.channels.kakaowork.app_key_env` | environment variable name | `KHP_KAKAOWORK_APP_KEY` |" in page
    cluster = page.split("## Cluster files", 1)[1]
    assert "| `nodata_hold` | duration | `evaluation.nodata_hold` |" in cluster


def test_recording_lists_what_a_section_reads_and_allows() -> None:
    with recording() as found:
        section = ConfigSection("khp.yml", "demo", {"wait": "5m"})
        section.only(("wait", "count", "name"))
        section.duration("wait", "1m")
        section.integer("count", 3)
    assert found[("khp.yml", "demo.wait")].kind == "duration"
    assert found[("khp.yml", "demo.wait")].default == "1m"
    assert found[("khp.yml", "demo.count")].kind == "whole number, 1 or more"
    assert found[("khp.yml", "demo.name")].kind == ""  # allowed, never read: the meanings give its type
    section.duration("wait", "1m")  # outside the block nothing is recorded
    assert len(found) == 3


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    head = "\n".join(lines[:20])
    assert "scripts/demo" in head and "scripts/test" in head
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _anchors(text: str) -> set[str]:
    anchors = set()
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6} ", line):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.relative_to(ROOT)}: link to {target}: no such file"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file.read_text(encoding="utf-8")), (
                f"{page.relative_to(ROOT)}: link to {target}: no such heading"
            )


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    """The first monitor of the tour, copied as a newcomer would, loads, lints and checks."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("**2. A first monitor.**", 1)[1].split("**3.", 1)[0]
    shell = re.search(r"```sh\n(.*?)```", tour, re.S)
    monitor = re.search(r"```python\n# (monitors/\w+\.py)\n(.*?)```", tour, re.S)
    assert shell and monitor
    (tmp_path / "monitors").mkdir()
    (tmp_path / monitor.group(1)).write_text(monitor.group(2))
    khp_yml = re.search(r"printf '(.*?)' > khp.yml", shell.group(1))
    assert khp_yml
    (tmp_path / "khp.yml").write_text(khp_yml.group(1).replace("\\n", "\n"))

    def khp(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "khp", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )

    simulate = next(line for line in shell.group(1).splitlines() if line.startswith("khp simulate"))
    assert khp(*shlex.split(simulate.split("#")[0])[1:]).returncode == 0
    assert khp("lint", "monitors").returncode == 0
    name = re.search(r"class (\w+)\(Monitor\)", monitor.group(2))
    assert name
    done = khp("check", "--monitor", name.group(1), "--json")
    assert done.returncode in (0, 1), done.stderr
    problems = json.loads(done.stdout)
    assert all(p["monitor"] == name.group(1) for p in problems)
    assert "from 1 monitor" in done.stderr
