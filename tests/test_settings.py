"""Settings: defaults, normalisation, and errors an operator can act on."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings, require_token


def settings(**values: object):
    return load_settings(_env_file=None, **values)


def test_defaults_are_a_sqlite_file_and_the_public_bot_api(monkeypatch: pytest.MonkeyPatch):
    for name in ("BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_URL", "DEFAULT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    loaded = settings()
    assert loaded.database_url == "sqlite+aiosqlite:///./between.db"
    assert loaded.telegram_api_url == "https://api.telegram.org"
    assert loaded.default_locale == "en"
    assert loaded.default_timezone == "UTC"
    assert loaded.bot_token is None


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BOT_TOKEN", "42:abc")
    monkeypatch.setenv("DEFAULT_LOCALE", "de")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    loaded = settings()
    assert require_token(loaded) == "42:abc"
    assert loaded.default_locale == "de"
    assert loaded.telegram_api_url == "http://127.0.0.1:8081"


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DEFAULT_TIMEZONE", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("DEFAULT_TIMEZONE=Europe/Berlin\n")
    assert load_settings(_env_file=env_file).default_timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///between.db", "sqlite+aiosqlite:///between.db"),
        ("postgresql://me@db/between", "postgresql+asyncpg://me@db/between"),
        ("postgres://me@db/between", "postgresql+asyncpg://me@db/between"),
        ("postgresql+asyncpg://me@db/x", "postgresql+asyncpg://me@db/x"),
    ],
)
def test_database_urls_get_an_async_driver(given: str, expected: str):
    assert settings(database_url=given).database_url == expected


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("database_url", "mysql://x@y/z", "DATABASE_URL"),
        ("database_url", "between.db", "DATABASE_URL"),
        ("telegram_api_url", "api.telegram.org", "TELEGRAM_API_URL"),
        ("default_locale", "fr", "must be one of en, de, es"),
        ("default_timezone", "Mars/Olympus", "IANA time zone"),
        ("concurrent_updates", 0, "CONCURRENT_UPDATES"),
        ("log_level", "LOUD", "LOG_LEVEL"),
    ],
)
def test_invalid_values_name_the_setting_and_what_is_allowed(name: str, value: object, hint: str):
    with pytest.raises(SettingsError) as raised:
        settings(**{name: value})
    message = str(raised.value)
    assert name.upper() in message
    assert hint in message


def test_database_url_is_not_echoed_in_errors():
    with pytest.raises(SettingsError) as raised:
        settings(database_url="mysql://user:hunter2@db/x")
    assert "hunter2" not in str(raised.value)


def test_missing_token_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError) as raised:
        require_token(settings())
    message = str(raised.value)
    assert "BOT_TOKEN" in message and "@BotFather" in message
    assert "\n" not in message


def test_readme_configuration_table_matches_the_settings_model():
    from bot.settings import PROJECT_ROOT, settings_table

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- settings-table:start -->") + len("<!-- settings-table:start -->")
    end = readme.index("<!-- settings-table:end -->")
    assert readme[start:end].strip() == settings_table(), "regenerate with `python -m bot config`"
