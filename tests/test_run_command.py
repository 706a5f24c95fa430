"""`python -m bot run` as an operator starts it: a real process against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import PROJECT_ROOT
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.processes import stop


def bot_environment(fake: FakeBotApi, database_url: str, **extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_URL", "DEFAULT_LOCALE"}
    }
    environment.update(
        BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.url,
        DATABASE_URL=database_url,
        POLLING_TIMEOUT="1",
        ENCRYPTION_KEYS=TEST_ENCRYPTION_KEY,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return environment


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def bot_process(*args: str, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        stop(process)


def test_help_lists_the_commands():
    result = run_cli("--help", env=dict(os.environ))
    assert result.returncode == 0
    assert "run" in result.stdout and "db" in result.stdout


def test_run_without_a_token_explains_how_to_get_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,  # no .env here
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr and "@BotFather" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_invalid_setting_stops_the_start_and_names_it(fake_api: FakeBotApi, tmp_path):
    env = bot_environment(fake_api, f"sqlite:///{tmp_path / 'x.db'}", DEFAULT_LOCALE="fr")
    result = run_cli("run", env=env)
    assert result.returncode == 2
    assert "DEFAULT_LOCALE='fr'" in result.stderr and "en, de, es" in result.stderr


def test_run_refuses_an_out_of_date_schema_with_the_command_to_run(
    fake_api: FakeBotApi, database_url: str
):
    result = run_cli("run", env=bot_environment(fake_api, database_url))
    assert result.returncode == 3
    assert "python -m bot db upgrade" in result.stderr
    assert not fake_api.calls("getUpdates")


async def test_run_answers_in_three_languages_and_leaves_groups(
    fake_api: FakeBotApi, database_url: str
):
    env = bot_environment(fake_api, database_url)
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    with bot_process(env=env) as process:
        german = fake_api.user(2001, language_code="de")
        german.send("/start")
        assert "Einladungslink" in (await german.expect_one(timeout=30)).plain_text

        spanish = fake_api.user(2002, language_code="es")
        spanish.send("/help")
        assert "No soy un servicio de emergencias" in (await spanish.expect_one()).plain_text

        english = fake_api.user(2003, language_code="en")
        english.send("/help")
        assert "I am not an emergency service" in (await english.expect_one()).plain_text

        group = fake_api.group(-7001)
        group.add_bot(by=english)
        assert await group.wait_until_left()

        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert fake_api.token not in output
    assert "Einladungslink" not in output  # logs carry ids and events, never text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_answers_start(fake_api: FakeBotApi, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'hook.db'}"
    port = free_port()
    env = bot_environment(
        fake_api,
        database_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET_TOKEN="s3cret-token",
    )
    with bot_process("--webhook", "--upgrade", env=env):
        for _ in range(500):
            if fake_api.calls("setWebhook"):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # the webhook server starts listening right after setWebhook
        client = fake_api.user(2004, language_code="es")
        client.send("/start")
        reply = await client.expect_one(timeout=30)
    assert "enlace de invitación" in reply.plain_text
    assert not fake_api.calls("getUpdates")


@pytest.mark.parametrize("command", [["db", "current"]])
def test_db_current_reports_out_of_date_then_current(command, tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    before = run_cli(*command, env=env)
    assert before.returncode == 1 and "(empty)" in before.stdout
    assert run_cli("db", "upgrade", env=env).returncode == 0
    after = run_cli(*command, env=env)
    assert after.returncode == 0
