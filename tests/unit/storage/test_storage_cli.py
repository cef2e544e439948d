from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from smartinspect.config import get_settings
from smartinspect.storage.cli import db_app, keys_app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """The ``keys`` and ``db`` commands on a temp data dir (settings come from the environment, as in production)."""
    monkeypatch.setenv("SMARTINSPECT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SMARTINSPECT_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    app.add_typer(keys_app, name="keys")
    app.add_typer(db_app, name="db")
    yield app
    get_settings.cache_clear()


def test_db_upgrade(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "smartinspect.db").is_file()


def test_keys_create_list_revoke(cli: typer.Typer) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "--name", "gate 3", "--role", "scanner"])
    assert created.exit_code == 0, created.output
    token = re.search(r"si_[0-9a-f]{8}_[0-9a-f]{32}", created.stdout)
    assert token is not None
    listed = runner.invoke(cli, ["keys", "list"])
    assert listed.exit_code == 0
    assert "scanner" in listed.stdout and "gate 3" in listed.stdout
    assert token.group(0) not in listed.stdout  # the secret is shown once, at creation
    assert runner.invoke(cli, ["keys", "revoke", "1"]).exit_code == 0
    missing = runner.invoke(cli, ["keys", "revoke", "99"])
    assert missing.exit_code == 1 and "no API key with id 99" in missing.output


def test_keys_create_refuses_unknown_roles(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["keys", "create", "--name", "x", "--role", "root"])
    assert result.exit_code != 0
    assert "scanner" in result.output  # the valid choices are listed
