"""Every command has help and is documented in the README (sqlite-utils' test_docs pattern)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from escalyzer.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_is_in_the_readme(name):
    res = CliRunner().invoke(cli, [name, "--help"])
    assert res.exit_code == 0 and "Example" in res.output
    assert f"escalyzer {name}" in README


def test_readme_opens_with_the_two_commands():
    head = README.split("```")[1]
    assert "make demo" in head and "make test" in head


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci
