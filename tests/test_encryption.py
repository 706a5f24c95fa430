"""Free text is encrypted at rest, keys rotate, and production refuses to run without a key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from bot import crypto
from bot.db.encrypted import EncryptedText, rotate_all
from bot.db.session import create_engine, create_session_factory
from bot.settings import PROJECT_ROOT, SettingsError, load_settings

NOTE = "Felt anxious before the meeting with Dr. Ruiz"


def notes_table() -> tuple[MetaData, Table]:
    metadata = MetaData()
    table = Table(
        "test_notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("body", EncryptedText()),
    )
    return metadata, table


def test_round_trip_and_tokens_differ_from_the_text():
    cipher = crypto.Cipher([crypto.generate_key()])
    token = cipher.encrypt(NOTE)
    assert NOTE not in token
    assert cipher.decrypt(token) == NOTE


def test_old_keys_still_decrypt_and_rotation_moves_to_the_newest():
    old, new = crypto.generate_key(), crypto.generate_key()
    token = crypto.Cipher([old]).encrypt(NOTE)
    both = crypto.Cipher([new, old])
    assert both.decrypt(token) == NOTE
    assert crypto.Cipher([new]).decrypt(both.rotate(token)) == NOTE


def test_a_removed_key_is_reported_without_the_text():
    token = crypto.Cipher([crypto.generate_key()]).encrypt(NOTE)
    with pytest.raises(crypto.KeyError_) as raised:
        crypto.Cipher([crypto.generate_key()]).decrypt(token)
    assert NOTE not in str(raised.value) and token not in str(raised.value)


async def test_the_database_holds_no_plaintext_and_rotation_reencrypts(database_url: str):
    old, new = crypto.generate_key(), crypto.generate_key()
    crypto.configure(crypto.Cipher([old]))
    metadata, table = notes_table()
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(table), [{"body": NOTE}, {"body": None}])
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT body FROM test_notes"))).scalars()
            stored = [value for value in stored if value is not None]
            assert stored and all(NOTE not in value for value in stored)
            assert (await connection.execute(select(table.c.body))).scalars().first() == NOTE

        crypto.configure(crypto.Cipher([new, old]))
        async with create_session_factory(engine)() as session, session.begin():
            assert await rotate_all(session, metadata) == 1

        crypto.configure(crypto.Cipher([new]))  # the old key is gone: everything still reads
        async with engine.connect() as connection:
            bodies = set((await connection.execute(select(table.c.body))).scalars())
        assert bodies == {NOTE, None}
    finally:
        await engine.dispose()
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert NOTE.encode() not in raw


def test_production_refuses_to_start_without_a_key(tmp_path):
    settings = load_settings(_env_file=None, environment="production", encryption_keys=None)
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS is not set"):
        crypto.cipher_from_settings(settings, key_file=tmp_path / "k")
    assert not (tmp_path / "k").exists()


def test_development_keeps_its_key_in_a_file(tmp_path):
    settings = load_settings(_env_file=None, encryption_keys=None)
    key_file = tmp_path / "between.key"
    first = crypto.cipher_from_settings(settings, key_file=key_file)
    token = first.encrypt(NOTE)
    again = crypto.cipher_from_settings(settings, key_file=key_file)
    assert again.decrypt(token) == NOTE  # the same key after a restart
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_a_malformed_key_names_the_setting(tmp_path):
    settings = load_settings(_env_file=None, encryption_keys="not-a-key")
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS must be Fernet keys"):
        crypto.cipher_from_settings(settings, key_file=tmp_path / "k")


def test_run_in_production_without_a_key_stops_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ENCRYPTION_KEYS"}
    env |= {
        "ENVIRONMENT": "production",
        "BOT_TOKEN": "123:abc",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ENCRYPTION_KEYS is not set" in result.stderr
    assert not (tmp_path / "p.db").exists()  # refused before the database was touched


def test_keys_generate_prints_a_usable_key():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "keys", "generate"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )
    key = result.stdout.strip()
    assert crypto.Cipher([key]).decrypt(crypto.Cipher([key]).encrypt("x")) == "x"


REFLECTION = "I noticed my chest got tight when my manager called"


async def test_a_typed_reflection_is_stored_encrypted(fake_api, bot, database_url: str):
    """A client's reflection reads back as typed, and the database holds no plaintext of it."""
    from tests.lesson_helpers import deliver, delivery_row, edited, make_client

    user_id = await make_client(bot, 4101, "en")
    client = fake_api.user(4101, language_code="en")
    first = await deliver(bot, client, user_id, "thoughts-feelings-actions")
    client.press(first, "Next »")
    client.press(await edited(client, first), "Done ✓")
    await client.expect_one()
    client.send(REFLECTION)
    await client.expect(2)

    assert (await delivery_row(bot, user_id, "thoughts-feelings-actions")).reflection_text == (
        REFLECTION
    )
    engine = bot.bot_data["services"].engine
    async with engine.connect() as connection:
        raw = (
            (await connection.execute(text("SELECT reflection_text FROM lesson_deliveries")))
            .scalars()
            .all()
        )
    assert raw and all(value and REFLECTION not in value for value in raw)
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert REFLECTION.encode() not in stored
