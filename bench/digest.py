"""Time one practitioner's weekly digest, chart included, and count its database queries.

    python bench/digest.py [--clients 50 200] [--postgres]

Each client has 3 goals rated daily for 8 weeks (plus 4 more weeks of baseline history
is not needed: the trend compares the week with the 4 before, inside the 8), and a
PHQ-9 answered every fortnight (4 administrations with their item answers, so reliable
change, the cut-off and the item-9 alert are read too). The
digest is built the way the renderer builds it (``bot.review.digest.build``: bulk
queries, text, split, chart in a worker thread); queries are counted with a
SQLAlchemy ``before_cursor_execute`` listener. The count must not grow with clients.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert

from bench.common import Figure, save
from bench.delivery import Database, postgres_available
from bot import crypto
from bot.content.library import load_content
from bot.db.models import (
    AdministrationStatus,
    CareTeamMember,
    Checkin,
    Goal,
    GoalRating,
    MeasureAdministration,
    MeasureAnswer,
    MembershipState,
    Practitioner,
    Role,
    TeamRole,
    User,
)
from bot.db.session import create_engine, create_session_factory
from bot.enrollment import practices
from bot.i18n import Catalogs
from bot.measures.catalog import load_measures
from bot.review import digest
from bot.settings import SUPPORTED_LOCALES, load_settings

GOALS = 3
DAYS = 56
PHQ9_DAYS = (53, 39, 25, 11)  # days ago: fortnightly over the 8 weeks


async def seed(url: str, clients: int, today: date) -> int:
    """A practitioner and ``clients`` clients; returns the practitioner's user id."""
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        doctor = User(telegram_id=1, role=Role.PRACTITIONER, locale="en", timezone="UTC")
        session.add(doctor)
        await session.flush()
        practice = await practices.default(session)
        session.add(
            Practitioner(user_id=doctor.id, display_name="Dr. Bench", practice_id=practice.id)
        )
        users = [User(telegram_id=100 + n, role=Role.CLIENT, locale="en") for n in range(clients)]
        session.add_all(users)
        await session.flush()
        session.add_all(
            CareTeamMember(
                client_id=u.id,
                practitioner_id=doctor.id,
                role=TeamRole.LEAD,
                state=MembershipState.ACTIVE,
                alias=f"Client {n}",
            )
            for n, u in enumerate(users)
        )
        goals = [
            Goal(user_id=u.id, status="active", title=f"Goal {g}") for u in users for g in range(3)
        ]
        session.add_all(goals)
        await session.flush()
        checkins = []
        for u in users:
            for d in range(1, DAYS + 1):
                day = today - timedelta(days=d)
                moment = datetime.combine(day, datetime.min.time(), UTC)
                checkins.append(
                    {
                        "user_id": u.id,
                        "local_date": day,
                        "source": "scheduled",
                        "status": "answered" if d % 9 else "missed",
                        "opened_at": moment,
                        "closes_at": moment,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )
        await session.execute(insert(Checkin), checkins)
        ids = {
            (row.user_id, row.local_date): row.id
            for row in (
                await session.execute(
                    Checkin.__table__.select().with_only_columns(
                        Checkin.id, Checkin.user_id, Checkin.local_date
                    )
                )
            )
        }
        ratings = []
        for goal in goals:
            for d in range(1, DAYS + 1):
                day = today - timedelta(days=d)
                ratings.append(
                    {
                        "checkin_id": ids[(goal.user_id, day)],
                        "goal_id": goal.id,
                        "user_id": goal.user_id,
                        "local_date": day,
                        "goal_version": 1,
                        "value": (goal.id + d) % 11,
                        "answered_at": datetime.combine(day, datetime.min.time(), UTC),
                    }
                )
        for start in range(0, len(ratings), 5000):
            await session.execute(insert(GoalRating), ratings[start : start + 5000])
        administrations = []
        for client_id in sorted({goal.user_id for goal in goals}):
            for n, days_ago in enumerate(PHQ9_DAYS):
                day = today - timedelta(days=days_ago)
                answered = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
                administrations.append(
                    {
                        "user_id": client_id,
                        "measure_id": "phq9",
                        "measure_version": 1,
                        "status": AdministrationStatus.COMPLETED,
                        "current_item": 10,
                        "opened_at": answered,
                        "closes_at": answered + timedelta(days=3),
                        "completed_at": answered,
                        "score_total": float(18 - 3 * n + client_id % 3),
                        "band": 2,
                        "created_at": answered,
                        "updated_at": answered,
                    }
                )
        await session.execute(insert(MeasureAdministration), administrations)
        answers = [
            {
                "administration_id": admin_id,
                "item_id": f"q{item}",
                "value": (admin_id + item) % 3 if item < 9 else admin_id % 2,
                "skipped": False,
                "answered_at": answered_at,
            }
            for admin_id, answered_at in (
                await session.execute(
                    MeasureAdministration.__table__.select().with_only_columns(
                        MeasureAdministration.id, MeasureAdministration.completed_at
                    )
                )
            )
            for item in range(1, 10)
        ]
        for start in range(0, len(answers), 5000):
            await session.execute(insert(MeasureAnswer), answers[start : start + 5000])
        doctor_id = doctor.id
    await engine.dispose()
    return doctor_id


async def measure(url: str, clients: int) -> tuple[float, int, int, bool]:
    today = datetime.now(UTC).date()
    doctor_id = await seed(url, clients, today)
    settings = load_settings(_env_file=None, database_url=url)
    library, _problems = load_content(settings.content_dir, SUPPORTED_LOCALES, "en")
    catalogs = Catalogs.load(settings.locales_dir, SUPPORTED_LOCALES, "en")
    measures = load_measures(settings.content_dir / "measures")
    engine = create_engine(url)
    queries = 0

    def count(*_args: object) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        doctor = await session.get(User, doctor_id)
        queries = 0
        started = time.perf_counter()
        built = await digest.build(
            session,
            doctor,
            catalogs.translator("en"),
            today=today,
            library=library,
            default_timezone="UTC",
            measures_by_id=measures,
        )
        elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed, queries, len(built.messages), built.chart is not None


async def main(sizes: list[int], postgres: bool) -> list[Figure]:
    crypto.configure(crypto.Cipher([crypto.generate_key()]))
    backends = ["sqlite"] + (["postgresql"] if postgres and await postgres_available() else [])
    figures = []
    print(f"{'backend':<11} {'clients':>7} {'time':>8} {'queries':>8} {'messages':>9}  chart")
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            for size in sizes:
                async with Database(backend, Path(folder)) as database:
                    elapsed, queries, messages, chart = await measure(database.url, size)
                print(
                    f"{backend:<11} {size:>7} {elapsed:>7.2f}s {queries:>8} {messages:>9}  "
                    f"{'yes' if chart else 'no'}"
                )
                command = f"python bench/digest.py --clients {size}"
                figures.append(
                    Figure("digest", f"{backend} {size} clients: time", elapsed, "s", command)
                )
                figures.append(
                    Figure("digest", f"{backend} {size} clients: queries", queries, "", command)
                )
    save("digest", figures)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.clients, arguments.postgres))
