"""Operators' metrics and health: the real ``python -m bot run`` with METRICS_PORT serves
/metrics, /healthz and /readyz over HTTP; and the collectors, directly."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import OutboxStatus
from bot.db.session import create_engine, create_session_factory
from bot.delivery import enqueue
from bot.observability import metrics
from bot.observability.server import MetricsServer, Probes
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings
from tests.delivery_support import add_clients, add_due_schedules
from tests.test_run_command import bot_environment, bot_process, free_port

CLIENTS = (7101, 7102, 7103)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def wait_for(check, within: float = 30.0):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def test_the_running_process_serves_metrics_health_and_readiness(
    fake_api: FakeBotApi, migrated: Settings, migrated_sessions: async_sessionmaker[AsyncSession]
):
    for telegram_id in CLIENTS:
        fake_api.user(telegram_id)
    async with migrated_sessions() as session, session.begin():
        ids = await add_clients(session, CLIENTS)
        await add_due_schedules(session, list(ids.values()))
    port = free_port()
    env = bot_environment(fake_api, migrated.database_url, METRICS_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    with bot_process(env=env) as process:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:

            async def ready() -> httpx.Response | None:
                if process.poll() is not None:
                    raise AssertionError(process.stdout.read() if process.stdout else "")
                try:
                    answer = await http.get("/readyz")
                except httpx.TransportError:
                    return None
                return answer if answer.status_code == 200 else None

            assert (await wait_for(ready)).text == "ready\n"
            assert (await http.get("/healthz")).text == "ok\n"
            assert (await http.get("/nothing")).status_code == 404

            client = fake_api.user(7201, language_code="en", first_name="Zelda")
            client.send("/help")
            assert "I am not an emergency service" in (await client.expect_one()).plain_text

            sent = ("between_sends_total", (("kind", "checkin_reminder"), ("outcome", "sent")))

            async def scraped() -> str | None:
                answer = await http.get("/metrics")
                assert answer.status_code == 200
                text = answer.text
                values = samples(text)
                done = values.get(sent) == len(CLIENTS) and values.get(
                    ("between_outbox_messages", (("kind", "checkin_reminder"), ("state", "sent")))
                ) == len(CLIENTS)
                return text if done else None

            text = await wait_for(scraped)
    values = samples(text)
    assert values[("between_updates_total", (("kind", "message"),))] >= 1
    assert values[("between_update_seconds_count", (("kind", "message"),))] >= 1
    assert values[("between_tick_seconds_count", ())] >= 1
    assert ("between_tick_lag_seconds", ()) in values
    assert values[("between_db_pool_connections", (("state", "size"),))] >= 1
    assert values[("between_telegram_429_total", ())] == 0
    # Nothing personal: no Telegram id, no name in any metric's name, label or help text
    # (the sample values are numbers, whose digits may happen to read like an id).
    described = "\n".join(
        line if line.startswith("#") else line.rsplit(" ", 1)[0]
        for line in text.splitlines()
        if line.strip()
    )
    for private in (*map(str, CLIENTS), "7201", "Zelda"):
        assert private not in described


async def test_metrics_need_the_port_setting(fake_api: FakeBotApi, migrated: Settings):
    from bot.app import METRICS_KEY, build_application

    assert METRICS_KEY not in build_application(migrated).bot_data


async def test_the_outbox_collector_groups_by_state_and_kind(migrated: Settings):
    engine = create_engine(migrated.database_url)
    sessions = create_session_factory(engine)
    now = utcnow()
    try:
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [7301, 7302])
            for n, (kind, minutes_ago) in enumerate(
                [("checkin_reminder", 10), ("checkin_reminder", 3), ("digest", -5)]
            ):
                await enqueue(
                    session,
                    user_id=ids[7301 + n % 2],
                    chat_id=7301 + n % 2,
                    kind=kind,
                    key=f"m{n}",
                    payload={},
                    due_at=now - timedelta(minutes=minutes_ago),
                    expires_at=now + timedelta(hours=3),
                )
        await metrics.record_outbox(sessions, now=now)
        metrics.record_pool(engine)
    finally:
        await engine.dispose()
    pending = OutboxStatus.PENDING.value
    assert metrics.OUTBOX.labels(pending, "checkin_reminder")._value.get() == 2
    assert metrics.OUTBOX.labels(pending, "digest")._value.get() == 1
    assert metrics.OUTBOX_OLDEST_DUE.labels("checkin_reminder")._value.get() == pytest.approx(
        600, abs=2
    )
    # The digest is not due yet: no waiting time for its kind.
    text = _registry_text()
    assert 'between_outbox_oldest_due_seconds{kind="digest"}' not in text


def _registry_text() -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.REGISTRY).decode()


def test_update_kinds_are_telegram_names_never_ids():
    class Press:
        message = None
        callback_query = object()

    assert metrics.update_kind(Press()) == "callback_query"
    assert metrics.update_kind(object()) == "other"


async def test_tick_timer_measures_lag_behind_the_due_time():
    clock = iter([100.0, 100.5, 131.0, 131.2])
    timer = metrics.TickTimer(interval=30, clock=lambda: next(clock))

    async def tick() -> None:
        return None

    await timer.run(tick())
    await timer.run(tick())  # started at 131: due at 130, one second late
    assert metrics.TICK_LAG_SECONDS._value.get() == pytest.approx(1.0)


async def test_rate_limits_are_counted_with_their_waits():
    before = metrics.RATE_LIMITED._value.get(), metrics.RETRY_AFTER_SECONDS._value.get()
    metrics.count_rate_limited(3.0)
    assert metrics.RATE_LIMITED._value.get() == before[0] + 1
    assert metrics.RETRY_AFTER_SECONDS._value.get() == before[1] + 3.0


async def test_readiness_answers_503_with_the_reason_and_metrics_survive_a_failed_refresh():
    reasons: list[str | None] = ["database schema is not at head"]

    async def refresh() -> None:
        raise OSError("database down")

    async def ready() -> str | None:
        return reasons[0]

    port = free_port()
    server = MetricsServer("127.0.0.1", port, Probes(refresh=refresh, ready=ready))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answer = await http.get("/readyz")
            assert answer.status_code == 503
            assert "schema is not at head" in answer.text
            reasons[0] = None
            assert (await http.get("/readyz")).status_code == 200
            scraped = await http.get("/metrics")
            assert scraped.status_code == 200
            assert re.search(r"^between_telegram_429_total ", scraped.text, re.MULTILINE)
            assert (await http.post("/metrics")).status_code == 405
    finally:
        await server.stop()


def test_the_example_alert_rules_use_only_metrics_the_bot_serves():
    import yaml

    from bot.settings import PROJECT_ROOT

    rules = yaml.safe_load((PROJECT_ROOT / "deploy" / "prometheus-alerts.yml").read_text())
    served = {
        family.name + suffix
        for family in metrics.REGISTRY.collect()
        for suffix in ("", "_total", "_count", "_sum", "_bucket")
    }
    named = {
        name
        for rule in rules["groups"][0]["rules"]
        for name in re.findall(r"\bbetween_\w+", rule["expr"])
    }
    assert named and named <= served, named - served
    alerts = {rule["alert"] for rule in rules["groups"][0]["rules"]}
    assert {"BetweenOutboxGrowing", "BetweenTickLagging", "BetweenRateLimited"} <= alerts
    assert {"BetweenNoUpdates", "BetweenSendShareLapsed"} <= alerts
