"""bench/receiver.py --against: another commit checked out beside this one for the length of the runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.receiver import checkout


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bench@example.invalid")
    git(repo, "config", "user.name", "bench")
    (repo / "version.txt").write_text("old\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "old")
    (repo / "version.txt").write_text("new\n")
    git(repo, "commit", "-q", "-am", "new")
    return repo


def test_the_commit_is_checked_out_while_the_runs_go_and_removed_after(repository: Path, tmp_path: Path) -> None:
    with checkout("HEAD~1", tmp_path / "against", repository) as tree:
        assert (tree / "version.txt").read_text() == "old\n"
        assert (repository / "version.txt").read_text() == "new\n"  # this checkout is left as it is
    assert not tree.exists()
    assert str(tree) not in git(repository, "worktree", "list")


def test_the_worktree_is_removed_when_a_run_fails(repository: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), checkout("HEAD~1", tmp_path / "against", repository) as tree:
        raise RuntimeError("wrk is not installed")
    assert not tree.exists()
    assert str(tree) not in git(repository, "worktree", "list")


def test_an_unknown_commit_is_an_error(repository: Path, tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError), checkout("no-such-ref", tmp_path / "against", repository):
        pass
