"""docs/checks.md is generated from the bundled monitors' code and must not go stale."""

from __future__ import annotations

import re
from pathlib import Path

from evaluator import describe_checks, discover_monitors
from khp._catalog import REGENERATE, catalog_markdown

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "docs" / "checks.md"


def test_the_committed_catalog_is_the_generated_one(shipped):
    generated = catalog_markdown(discover_monitors(shipped), shipped.thresholds, ROOT)
    assert CATALOG.read_text(encoding="utf-8") == generated, f"docs/checks.md is stale: run `{REGENERATE}`"


def test_the_catalog_lists_every_check_with_its_levels_meaning_and_action(shipped):
    text = CATALOG.read_text(encoding="utf-8")
    rows = {line.split(" | ")[0][2:]: line for line in text.splitlines() if line.startswith("| ") and "**" in line}
    checks = [check for monitor in discover_monitors(shipped) for check in describe_checks(monitor)]
    assert len(checks) >= 75
    assert sorted(rows) == sorted(check.name for check in checks)
    for check in checks:
        row = rows[check.name]
        assert check.description in row and check.action.replace("|", "\\|") in row
        for level in check.levels:
            assert f"**{level.severity}**" in row


def test_the_catalog_shows_the_declared_defaults(shipped):
    text = CATALOG.read_text(encoding="utf-8")
    assert "| Missing blocks | **warning** off<br>**critical** `missing > 0` |" in text
    assert "| `hdfs_capacity_used_percent` | 80 | 90 | DFS used, percent of configured capacity |" in text
    assert "**critical** `actives != 1`" in text  # a rule without a threshold key
    assert "sent after 30m pending" in text
    assert re.search(r"\| Clock offset \| [^|]+ \| `host/os/clock.offset_ms` \|", text)
    assert "log lines `host/kernel/Remounting` in PT1H" in text
