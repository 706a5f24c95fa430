"""PHQ-9, GAD-7 and WHO-5 over the fake Bot API, on SQLite and PostgreSQL, in en/de/es:
the lead's default set given to a new client at setup; a PHQ-9 whose item 9 is answered
"several days" alerts the lead at once and shows the client the crisis lines; reliable
change and cut-off crossings in /client, the digest and the traffic light's reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import SENDER_KEY, BotApplication
from bot.db.base import utcnow
from bot.db.models import (
    AdministrationStatus,
    Cadence,
    MeasureAdministration,
    MeasureAnswer,
    MeasureAssignment,
    SafetyFlag,
)
from bot.domain.crisis import Severity
from bot.domain.crisis_resources import lines_for_client
from bot.measures import callbacks
from bot.measures import delivery as measure_delivery
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings
from tests import review_helpers as h
from tests.conftest import make_settings
from tests.enrollment_helpers import (
    onboard_client,
    practitioner,
    press_forged,
    services,
    user_row,
)
from tests.lesson_helpers import edited

DEFAULTS_SET = {
    "en": "Every new client of yours gets PHQ-9 every week",
    "de": "Alle neuen Klient:innen bekommen PHQ-9 jede Woche",
    "es": "Cada cliente nuevo recibe PHQ-9 cada semana",
}
TOLD = {
    "en": "would like you to answer a few short questionnaires: Patient Health Questionnaire",
    "de": "möchte dich bitten, ein paar kurze Fragebögen zu beantworten: Gesundheitsfragebogen",
    "es": "quiere pedirte que respondas unos cuestionarios breves: Cuestionario sobre la salud",
}
ITEM_9 = {
    "en": "Thoughts that you would be better off dead or of hurting yourself in some way",
    "de": "Gedanken, dass Sie lieber tot wären oder sich Leid zufügen möchten",
    "es": "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
}
SEVERAL_DAYS = {
    "en": "“Several days” (1)",
    "de": "„An einzelnen Tagen“ (1)",
    "es": "«Varios días» (1)",
}
ALERT = {
    "en": "Safety alert: Kim answered item 9 of the PHQ-9",
    "de": "Sicherheitshinweis: Kim hat Frage 9 des PHQ-9",
    "es": "Alerta de seguridad: Kim respondió la pregunta 9 del PHQ-9",
}
TOLD_LEAD = {
    "en": "I've let your practitioner know.",
    "de": "Ich habe deiner Fachperson Bescheid gegeben.",
    "es": "Le avisé a tu profesional.",
}


@pytest.fixture
def settings(fake_api: FakeBotApi, database_url: str) -> Settings:
    # The measures job runs only when a test calls it (with its own "now").
    return make_settings(fake_api, database_url, scheduler_tick_seconds=3600)


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_phq9_item_9_alerts_the_lead_at_once_and_shows_the_client_the_crisis_lines(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _row = await practitioner(fake_api, bot, 9601, language=language)
    lead.send("/measures phq9 weekly")
    assert DEFAULTS_SET[language] in (await lead.expect_one()).plain_text

    client = await onboard_client(fake_api, lead, 9602, language=language, alias="Kim")
    told = "\n".join(m.plain_text for m in client.messages())
    assert TOLD[language] in told
    await client.expect_one()  # the intake's first item comes after
    user = await user_row(bot, 9602)
    async with services(bot).sessions() as session, session.begin():
        assignment = await session.scalar(select(MeasureAssignment))
        assert (assignment.user_id, assignment.measure_id) == (user.id, "phq9")
        assert assignment.cadence is Cadence.WEEKLY
        assignment.next_due_at = utcnow() - timedelta(minutes=1)  # its first slot comes
    opened, _expired = await measure_delivery.run(
        services(bot).sessions, services(bot).measures, now=utcnow(), default_timezone="UTC"
    )
    assert opened == 1
    bot.bot_data[SENDER_KEY].wake()
    message = await client.expect_one(timeout=10)
    assert "PHQ-9" in message.plain_text
    async with services(bot).sessions() as session:
        admin = await session.scalar(
            select(MeasureAdministration).where(MeasureAdministration.measure_id == "phq9")
        )

    # Items 1–8 answered 1 ("several days"): nobody is alerted.
    for index in range(8):
        client.press(message, callbacks.answer(admin.id, index, 1))
        shown = await edited(client, message, index + 1)
    assert ITEM_9[language] in shown.plain_text
    await lead.expect_nothing(0.3)
    # Item 9 answered 1: the lead is alerted at once, the client sees the crisis lines.
    client.press(message, callbacks.answer(admin.id, 8, 1))
    resources = await client.expect_one(timeout=10)
    expected = lines_for_client(
        services(bot).crisis_resources, locale=language, zone="Europe/Vienna", override_country=None
    )
    assert expected and all(line in resources.plain_text for line in expected)
    assert TOLD_LEAD[language] in resources.plain_text
    alert = await lead.expect_one(timeout=15)
    assert ALERT[language] in alert.plain_text
    assert ITEM_9[language] in alert.plain_text
    assert SEVERAL_DAYS[language] in alert.plain_text
    # A changed answer (an older copy's button), or a double tap, flags and alerts once.
    press_forged(fake_api, client, message, callbacks.answer(admin.id, 8, 2))
    await client.expect_one(timeout=10)  # the crisis lines again, for the client
    await lead.expect_nothing(1.5)
    async with services(bot).sessions() as session:
        flags = list(await session.scalars(select(SafetyFlag)))
        stored = await session.scalar(
            select(MeasureAnswer.value).where(
                MeasureAnswer.administration_id == admin.id, MeasureAnswer.item_id == "q9"
            )
        )
    assert [(f.rule_id, f.severity, f.source) for f in flags] == [
        ("phq9.q9", Severity.HIGH, f"measure:{admin.id}:q9")
    ]
    assert stored == 2

    # The last item (how difficult: not scored) finishes it: 8 × 1 + 2 = 10.
    client.press(message, callbacks.answer(admin.id, 9, 0))
    await edited(client, message, 10)
    async with services(bot).sessions() as session:
        done = await session.get(MeasureAdministration, admin.id)
    assert done.status is AdministrationStatus.COMPLETED and done.score_total == 10

    # /client: the first answer, its band, and item 9 as the red light's reason.
    lead.send("/client Kim")
    view = "\n".join(m.plain_text for m in await lead.expect(1, timeout=20))
    assert "🔴 PHQ-9" in view and " 9 " in view
    assert "PHQ-9: 10" in view


def _admin(user_id: int, measure_id: str, total: float, days_ago: int) -> MeasureAdministration:
    answered = utcnow() - timedelta(days=days_ago)
    return MeasureAdministration(
        user_id=user_id,
        measure_id=measure_id,
        measure_version=1,
        status=AdministrationStatus.COMPLETED,
        opened_at=answered,
        closes_at=answered + timedelta(days=3),
        completed_at=answered,
        score_total=total,
    )


LINES = {
    "en": (
        "PHQ-9: 16 → 9, Mild, a reliable improvement (6 points or more), "
        "out of the clinical range (cut-off 10)",
        "GAD-7: 7 → 11, Moderate, a reliable deterioration (4 points or more), "
        "into the clinical range (cut-off 10)",
        "WHO-5: 14 (56 %), Wellbeing not reduced, first answer",
    ),
    "de": (
        "PHQ-9: 16 → 9, Leicht, eine reliable Verbesserung (6 Punkte oder mehr), "
        "aus dem klinischen Bereich heraus (Cut-off 10)",
        "GAD-7: 7 → 11, Mittelgradig, eine reliable Verschlechterung (4 Punkte oder mehr), "
        "in den klinischen Bereich (Cut-off 10)",
        "WHO-5: 14 (56 %), Wohlbefinden nicht vermindert, erste Antwort",
    ),
    "es": (
        "PHQ-9: 16 → 9, Leve, una mejoría confiable (6 puntos o más), "
        "fuera del rango clínico (punto de corte 10)",
        "GAD-7: 7 → 11, Moderada, un empeoramiento confiable (4 puntos o más), "
        "dentro del rango clínico (punto de corte 10)",
        "WHO-5: 14 (56 %), Bienestar no disminuido, primera respuesta",
    ),
}
REASON = {
    "en": "GAD-7 worse: 7 → 11",
    "de": "GAD-7 schlechter: 7 → 11",
    "es": "GAD-7 peor: 7 → 11",
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_reliable_change_and_cutoff_crossings_in_client_view_and_digest(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, row = await practitioner(fake_api, bot, 9611, language=language)
    await h.set_utc(bot, row.id)
    async with services(bot).sessions() as session, session.begin():
        kim = await h.client(session, row.id, 96111, "Kim")
        # bands are what the scoring stored: PHQ-9 9 → Mild (1), GAD-7 11 → Moderate (2),
        # WHO-5 14 → not reduced (2)
        for measure_id, totals in (("phq9", (16, 12, 9)), ("gad7", (7, 11))):
            for days_ago, total in zip((20, 12, 3), totals, strict=False):
                session.add(_admin(kim, measure_id, total, days_ago))
        session.add(_admin(kim, "who5", 14, 3))
    async with services(bot).sessions() as session, session.begin():
        for admin in await session.scalars(select(MeasureAdministration)):
            admin.band = {"phq9": 1, "gad7": 2, "who5": 2}[admin.measure_id]

    doctor.send("/client Kim")
    view = "\n".join(m.plain_text for m in await doctor.expect(1, timeout=20))
    for line in LINES[language]:
        assert line in view, view
    assert f"🔴 {REASON[language]}" in view  # the light's first reason: a reliable worsening

    doctor.send("/digest")
    digest = (await doctor.expect(1, timeout=20))[0].plain_text
    for line in LINES[language]:
        assert line in digest
    assert REASON[language] in digest.split("\n\n")[0]  # in the opening lines too


GAS_REVIEW = {
    "en": "goal 1 “Sleep before midnight”: ratings +3.0 since its GAS level was set, "
    "worth reviewing the level",
    "de": "Ziel 1 „Sleep before midnight“: Bewertungen +3,0 seit der GAS-Einstufung, "
    "lohnt sich, die Stufe zu prüfen",
    "es": "objetivo 1 «Sleep before midnight»: valoraciones +3,0 desde que se fijó su nivel "
    "GAS, conviene revisar el nivel",
}
# One goal at +1: T = 50 + 10·1 / √(0.7·1 + 0.3·1) = 60, labelled as one goal's.
ONE_GOAL = {
    "en": "GAS T-score: 60 (from 1 goal only)",
    "de": "GAS-T-Wert: 60 (aus nur 1 Ziel)",
    "es": "Puntuación T de GAS: 60 (de solo 1 objetivo)",
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_digest_suggests_a_gas_review_and_labels_a_one_goal_t_score(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    from bot.db.models import CheckinStatus, GasScore

    doctor, row = await practitioner(fake_api, bot, 9621, language=language)
    await h.set_utc(bot, row.id)
    day = [h.today() - timedelta(days=n) for n in range(30)]
    async with services(bot).sessions() as session, session.begin():
        kim = await h.client(session, row.id, 96211, "Kim")
        sleep = await h.goal(session, kim, "Sleep before midnight")
        for n in range(20, 13, -1):  # rated 4 in the days up to the GAS level (day 14)
            await h.day(session, kim, day[n], CheckinStatus.ANSWERED, {sleep: 4})
        session.add(GasScore(goal_id=sleep, level=1, rated_by_id=row.id, rated_at=h.at(day[14])))
        for n in range(7, 0, -1):  # rated 7 in the latest week: 3 points away
            await h.day(session, kim, day[n], CheckinStatus.ANSWERED, {sleep: 7})
    doctor.send("/digest")
    text = (await doctor.expect(1, timeout=20))[0].plain_text
    assert GAS_REVIEW[language] in text
    assert ONE_GOAL[language] in text


async def test_measures_sets_shows_and_clears_the_default_set(
    fake_api: FakeBotApi, bot: BotApplication
):
    from bot.db.models import Practitioner

    lead, row = await practitioner(fake_api, bot, 9631)
    lead.send("/measures")
    assert "New clients get no questionnaires by default." in (await lead.expect_one()).plain_text
    lead.send("/measures phq9 daily")
    assert "Like this: /measures phq9,gad7 fortnightly" in (await lead.expect_one()).plain_text
    lead.send("/measures phq9,nope weekly")
    assert "I don't know a questionnaire called “nope”." in (await lead.expect_one()).plain_text
    lead.send("/measures PHQ9, gad7 who5 fortnightly")
    reply = (await lead.expect_one()).plain_text
    assert "Every new client of yours gets PHQ-9, GAD-7, and WHO-5 every two weeks" in reply
    async with services(bot).sessions() as session:
        stored = await session.get(Practitioner, row.id)
        assert stored.default_measures == ["phq9", "gad7", "who5"]
        assert stored.default_measure_cadence == "fortnightly"
    lead.send("/measures")
    shown = (await lead.expect_one()).plain_text
    assert "New clients get PHQ-9, GAD-7, and WHO-5 every two weeks" in shown
    lead.send("/measures none")
    assert "won't get questionnaires by default" in (await lead.expect_one()).plain_text
    async with services(bot).sessions() as session:
        stored = await session.get(Practitioner, row.id)
        assert stored.default_measures is None and stored.default_measure_cadence is None
    # a client onboarded now gets no questionnaire beyond the intake
    await onboard_client(fake_api, lead, 9632, alias="Lea")
    async with services(bot).sessions() as session:
        assert list(await session.scalars(select(MeasureAssignment))) == []
