"""Every operator command on a database that is missing, empty, behind or unreachable:
one line naming what to run, a non-zero exit code, never a traceback. Real
``python -m bot …`` processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse

import pytest

from bot import cli
from bot.offline.fake_bot_api import FakeBotApi
from tests.test_run_command import bot_environment, free_port, run_cli

# Every command that reads or writes the bot's tables, as an operator would type it.
SCHEMA_COMMANDS = (
    ("status",),
    ("practice", "list"),
    ("practice", "add", "North"),
    ("practitioner", "list"),
    ("practitioner", "invite", "--name", "Dr Example"),
    ("practitioner", "link", "1", "--practice", "North"),
    ("keys", "rotate"),
    ("web",),
    ("run",),
)


def assert_says_upgrade(result, code: int = 3) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]  # before it, at most the log's INFO lines
    assert last.startswith("error: ") and "python -m bot db upgrade" in last, result.stderr


@pytest.mark.parametrize("command", SCHEMA_COMMANDS, ids=" ".join)
def test_a_command_on_a_missing_or_empty_database_says_what_to_run(
    command, fake_api: FakeBotApi, database_url: str
):
    result = run_cli(*command, env=bot_environment(fake_api, database_url))
    assert_says_upgrade(result)
    assert result.stdout == ""
    assert not fake_api.calls("getUpdates")


def test_a_missing_sqlite_file_is_not_created_by_asking(fake_api: FakeBotApi, tmp_path):
    path = tmp_path / "never.db"
    result = run_cli("status", env=bot_environment(fake_api, f"sqlite:///{path}"))
    assert_says_upgrade(result)
    assert str(path) in result.stderr
    assert not path.exists()


def test_status_on_a_schema_behind_head_names_both_revisions(
    fake_api: FakeBotApi, database_url: str
):
    env = bot_environment(fake_api, database_url)
    assert run_cli("db", "upgrade", "0003", env=env).returncode == 0
    result = run_cli("status", env=env)
    assert_says_upgrade(result)
    assert "found 0003" in result.stderr
    assert run_cli("db", "upgrade", env=env).returncode == 0
    after = run_cli("status", env=env)
    assert after.returncode == 0, after.stderr
    assert "The outbox is empty." in after.stdout


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(f"postgresql://postgres@127.0.0.1:{free_port()}/between", id="server-down"),
        pytest.param("postgresql://postgres@127.0.0.1:5432/between_never_created", id="no-db"),
        pytest.param("sqlite:////nonexistent-folder/between.db", id="no-folder"),
    ],
)
@pytest.mark.parametrize("command", [("status",), ("db", "upgrade"), ("db", "current"), ("run",)])
def test_an_unreachable_database_is_named_without_a_traceback(
    command, database_url: str, fake_api: FakeBotApi
):
    result = run_cli(*command, env=bot_environment(fake_api, database_url))
    assert result.returncode in (3, 4), result.stderr
    assert "Traceback" not in result.stderr
    assert "python -m bot db upgrade" in result.stderr
    assert database_url.rsplit("/", 1)[-1] in result.stderr


def _leaf_commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], dict[str, object]]:
    """Each command as typed (``("practice", "add")``) with its parser's defaults."""
    found: dict[tuple[str, ...], dict[str, object]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_leaf_commands(sub, (*prefix, name)))
    if not found and prefix:
        found[prefix] = dict(parser._defaults)
    return found


def test_every_command_that_uses_the_tables_checks_the_schema_first():
    """A new command must say whether it needs the schema: this fails until it does."""
    exempt = {
        ("run",),  # checks itself (it may --upgrade first)
        ("db", "upgrade"),
        ("db", "current"),
        ("db", "revision"),
        ("keys", "generate"),
        ("demo",),
        ("content", "check"),
        ("config",),
    }
    leaves = _leaf_commands(cli._parser())
    needing = set(leaves) - exempt
    typed = {command[:2] if len(command) > 1 else command for command in SCHEMA_COMMANDS}
    assert needing == typed - {("run",)}
    for command in needing:
        assert leaves[command].get("needs_schema") is True, command
