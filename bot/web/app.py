"""The web view's ASGI application (Starlette): routes, authentication, security headers.

How a practitioner gets in: Telegram opens ``WEB_APP_URL`` (or a client's page under
it) and gives the page ``initData``. Without a session cookie, every page first
answers with a small page whose script (``static/app.js``, no inline script) posts
that initData to ``/auth``; the server validates it (``bot.web.initdata``), checks
that the Telegram user is an active practitioner, sets a signed session cookie
(``bot.web.session``) and sends the browser on to the page it asked for. A request
may instead carry initData in the ``X-Telegram-Init-Data`` header (no cookie needed).
Tampered or expired initData gets a 401 page in the user's language saying to
reopen from Telegram; never a stack trace.

Writes are forms with a CSRF token tied to the session (and the cookie is SameSite);
the Content-Security-Policy allows scripts from this server and telegram.org only.
Reads and writes go through ``bot.web.views`` and the same use cases as the chat
commands, in one transaction with their access-log rows.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot import audit
from bot.access import policy
from bot.access.policy import LEAD_CHANGE, LEAD_READ, TEAM_CHANGE
from bot.access.result import Result
from bot.db.base import utcnow
from bot.db.models import Role, User, UserStatus
from bot.domain.goal_commands import (
    MAX_TEXT_LENGTH,
    Change,
    Create,
    Frequency,
    FrequencyKind,
    Gas,
    StrategyArgs,
    StrategyChange,
    Verb,
    goal_number,
    parse_level,
)
from bot.domain.practitioner_args import GasReached, MeasureFrequency
from bot.domain.schedule import zone_or_default
from bot.domain.traffic_light import Colour
from bot.enrollment.client_lookup import client_label
from bot.goals import usecases as goal_cases
from bot.i18n import N_, Translator
from bot.measures import usecases as measure_cases
from bot.measures.administrations import INTAKE
from bot.review import attention as attention_cases
from bot.review import data, reasons
from bot.review import usecases as review_cases
from bot.safety import usecases as safety_cases
from bot.services import Services
from bot.web import chart, initdata, views
from bot.web.security import SecurityHeaders
from bot.web.session import COOKIE, Session, Sessions
from bot.web.templating import Templates, plain

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
HEADER = "X-Telegram-Init-Data"
NOTE_LENGTH = 2000
TOO_LONG = N_("That is a little long: please keep it under 300 characters.")
# What the client page offers to download: the PDF report, the CSV files, the FHIR bundle.
EXPORT_TYPES = {
    "pdf": "application/pdf",
    "zip": "application/zip",
    "json": "application/fhir+json",
}


@dataclass(frozen=True)
class Viewer:
    """The practitioner behind a request, with how to speak to them."""

    user: User
    t: Translator
    zone: ZoneInfo
    session: Session | None  # None: authenticated by the header alone (no forms)

    @property
    def today(self) -> date:
        return utcnow().astimezone(self.zone).date()


class WebApp:
    """The routes, bound to the bot's services."""

    def __init__(
        self, services: Services, *, bot_token: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.services = services
        self.bot_token = bot_token
        self.clock = clock
        self.max_age = services.settings.web_auth_max_age
        self.sessions = Sessions(bot_token, self.max_age)
        self.templates = Templates()

    # ----------------------------------------------------------------- helpers

    def render(
        self, request: Request, name: str, t: Translator, status: int = 200, **values: Any
    ) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return HTMLResponse(self.templates.render(name, t, root, **values), status_code=status)

    def refusal(self, request: Request, raw: str | None = None) -> HTMLResponse:
        """401: initData (or the session) is missing, tampered or too old."""
        claimed = initdata.unverified_language(raw) if raw else None
        accepted = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
        t = self.services.catalogs.translator(
            self.services.catalogs.resolve(None, claimed or accepted or None)
        )
        return self.render(
            request,
            "error.html",
            t,
            401,
            title=t._("Please reopen"),
            message=t._(
                "This page could not confirm who you are, or it has been open too long. "
                "Please close it and open it again from the bot in Telegram."
            ),
        )

    def not_found(self, request: Request, t: Translator) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            t,
            404,
            title=t._("Not found"),
            message=t._(
                "There is nothing here for you. Your caseload lists every client you can see."
            ),
            back=True,
        )

    async def viewer(self, request: Request, db: AsyncSession) -> Viewer | None:
        """Who is asking: initData in the header, else the session cookie; None if neither
        vouches for an active practitioner."""
        raw = request.headers.get(HEADER)
        session: Session | None = None
        if raw:
            try:
                who = initdata.validate(raw, self.bot_token, max_age=self.max_age, now=self.clock())
            except initdata.InvalidInitData:
                return None
            telegram_id = who.telegram_id
        else:
            session = self.sessions.read(request.cookies.get(COOKIE))
            if session is None:
                return None
            telegram_id = session.telegram_id
        user = await db.scalar(select(User).where(User.telegram_id == telegram_id))
        if user is None or user.role != Role.PRACTITIONER or user.status != UserStatus.ACTIVE:
            return None
        catalogs = self.services.catalogs
        t = catalogs.translator(catalogs.resolve(user.locale, None))
        zone = zone_or_default(user.timezone, self.services.settings.default_timezone)
        return Viewer(user, t, zone, session)

    async def page(
        self,
        request: Request,
        build: Callable[[AsyncSession, Viewer], Awaitable[Response]],
    ) -> Response:
        """One transaction per request; without a session, the page that signs in."""
        async with self.services.sessions() as db, db.begin():
            viewer = await self.viewer(request, db)
            if viewer is None:
                if request.method == "GET" and HEADER not in request.headers:
                    return self._opening(request)
                return self.refusal(request, request.headers.get(HEADER))
            return await build(db, viewer)

    def _opening(self, request: Request) -> HTMLResponse:
        """The page that hands Telegram's initData to /auth (static/app.js does it)."""
        t = self.services.catalogs.translator(None)
        target = request.url.path.removeprefix(request.scope.get("root_path", "")) or "/"
        if request.url.query:
            target += "?" + request.url.query
        return self.render(request, "open.html", t, target=target)

    # ----------------------------------------------------------------- routes

    async def auth(self, request: Request) -> Response:
        form = await request.form()
        raw = str(form.get("init_data", ""))
        try:
            who = initdata.validate(raw, self.bot_token, max_age=self.max_age, now=self.clock())
        except initdata.InvalidInitData as error:
            logger.info("event=web.auth_refused problem=%s", error.problem.value)
            return self.refusal(request, raw)
        async with self.services.sessions() as db:
            user = await db.scalar(select(User).where(User.telegram_id == who.telegram_id))
        if user is None or user.role != Role.PRACTITIONER or user.status != UserStatus.ACTIVE:
            logger.info("event=web.auth_not_practitioner")
            catalogs = self.services.catalogs
            t = catalogs.translator(
                catalogs.resolve(user.locale if user else None, who.language_code)
            )
            return self.render(
                request,
                "error.html",
                t,
                403,
                title=t._("For practitioners"),
                message=t._(
                    "This view is for practitioners. Everything you need is in the chat with me."
                ),
            )
        _session, cookie = self.sessions.open(who.telegram_id)
        target = str(form.get("next", "/"))
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        root = request.scope.get("root_path", "")
        response = RedirectResponse(root + target, status_code=303)
        secure = request.url.scheme == "https"
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=self.max_age,
            path=(root or "") + "/",
            httponly=True,
            secure=secure,
            # Telegram Web shows the Mini App in a cross-site iframe: there the cookie
            # must be SameSite=None (and Partitioned); the CSRF token guards the forms.
            samesite="none" if secure else "lax",
            partitioned=secure,
        )
        logger.info("event=web.signed_in user_id=%s", user.id)
        return response

    async def home(self, request: Request) -> Response:
        async def build(_db: AsyncSession, _viewer: Viewer) -> Response:
            return RedirectResponse(request.scope.get("root_path", "") + "/caseload", 303)

        return await self.page(request, build)

    async def caseload(self, request: Request) -> Response:
        async def build(db: AsyncSession, viewer: Viewer) -> Response:
            settings = self.services.settings
            rows = await views.caseload(
                db,
                viewer.t,
                practitioner_id=viewer.user.id,
                today=viewer.today,
                zone=viewer.zone,
                measures_by_id=self.services.measures,
                rules=settings.decision_rules(),
            )
            counts = Counter(row.colour for row in rows)
            query = request.query_params
            q, show, sort = (
                query.get("q", "").strip(),
                query.get("show", "all"),
                query.get("sort", "attention"),
            )
            shown = views.filtered(rows, q=q, show=show, sort=sort)
            return self.render(
                request,
                "caseload.html",
                viewer.t,
                rows=shown,
                summary=reasons.caseload_line(viewer.t, counts),
                q=q,
                show=show,
                sort=sort,
                filtered=len(shown) != len(rows),
                zone=viewer.zone,
            )

        return await self.page(request, build)

    async def client(self, request: Request) -> Response:
        client_id = int(request.path_params["client_id"])

        async def build(db: AsyncSession, viewer: Viewer) -> Response:
            reveal = request.query_params.get("words") == "1"
            return await self._client_page(request, db, viewer, client_id, reveal_words=reveal)

        return await self.page(request, build)

    async def _client_page(
        self,
        request: Request,
        db: AsyncSession,
        viewer: Viewer,
        client_id: int,
        *,
        status: int = 200,
        message: str = "",
        reveal_words: bool = False,
    ) -> Response:
        found = await views.client_page(
            db,
            viewer.t,
            practitioner=viewer.user,
            client_id=client_id,
            today=viewer.today,
            zone=viewer.zone,
            library=self.services.content,
            measures_by_id=self.services.measures,
            rules=self.services.settings.decision_rules(),
            reveal_words=reveal_words,
        )
        if found is None:
            return self.not_found(request, viewer.t)
        t = viewer.t
        charts = {
            goal.goal_id: chart.goal_svg(
                goal.series,
                start=found.chart_start,
                end=chart.end_with_target(found.chart_end, goal.target_date),
                title=t._("Ratings of goal {number}", number=goal.number),
                target=goal.target_date,
                target_label=t._("target date"),
                gas_label=t._("GAS {level}", level=f"{goal.gas_level:+d}")
                if goal.gas_level is not None
                else "",
            )
            for goal in found.goals
        }
        saved = {
            "gas": t._("The GAS level is recorded."),
            "gas-level": t._("The description of the GAS level is saved."),
            "measure": t._("The questionnaire schedule is saved."),
            "goal": t._("The goal is saved. I've let the client know."),
            "strategy": t._("The strategy is saved. I've let the client know."),
            "attention": t._("The light is acknowledged."),
            "note": t._("The note is saved."),
            "flag": t._("The safety flag is acknowledged."),
        }
        shown = message or saved.get(request.query_params.get("saved", ""), "")
        csrf = self.sessions.csrf_token(viewer.session) if viewer.session else ""
        return self.render(
            request,
            "client.html",
            t,
            status,
            page=found,
            charts=charts,
            csrf=csrf,
            message=shown,
            error=status >= 400,
            questionnaires=sorted(
                (measure.title.get(t.locale), measure_id)
                for measure_id, measure in self.services.measures.items()
                if measure_id != INTAKE
            ),
            frequencies=[
                (MeasureFrequency.WEEKLY, t._("every week")),
                (MeasureFrequency.FORTNIGHTLY, t._("every two weeks")),
                (MeasureFrequency.MONTHLY, t._("every month")),
                (MeasureFrequency.STOP, t._("stop sending it")),
            ],
            verbs=[
                (Verb.EDIT, t._("new wording")),
                (Verb.PAUSE, t._("pause")),
                (Verb.RESUME, t._("resume")),
                (Verb.ACHIEVE, t._("achieved")),
                (Verb.DROP, t._("set aside")),
            ],
            often=[
                (7, t._("every day")),
                *(
                    (times, t.ngettext("{count} time a week", "{count} times a week", times))
                    for times in range(1, 7)
                ),
            ],
        )

    async def _write(
        self,
        request: Request,
        access: policy.Access,
        run: Callable[[AsyncSession, Viewer, policy.Allowed, FormData], Awaitable[Result | str]],
        saved: str,
    ) -> Response:
        """A form post: CSRF token, the access policy, the use case and its log row; then
        back to the client page (303), or the page again with what went wrong."""
        client_id = int(request.path_params["client_id"])
        form = await request.form()

        async def build(db: AsyncSession, viewer: Viewer) -> Response:
            if viewer.session is None or not self.sessions.csrf_ok(
                viewer.session, str(form.get("csrf", ""))
            ):
                logger.info("event=web.csrf_refused user_id=%s", viewer.user.id)
                return self.render(
                    request,
                    "error.html",
                    viewer.t,
                    403,
                    title=viewer.t._("Not saved"),
                    message=viewer.t._(
                        "This form has expired. Please reload the page and try again."
                    ),
                    back=True,
                )
            decision = await policy.authorize_id(db, viewer.user, client_id, access)
            if isinstance(decision, policy.Refused):
                if decision.reason is policy.Refusal.NOT_FOUND:
                    return self.not_found(request, viewer.t)
                label = (
                    client_label(viewer.t, decision.client.alias, client_id)
                    if (decision.client)
                    else ""
                )
                text = (
                    viewer.t._("Only the lead practitioner of {client} can do this.", client=label)
                    if decision.reason is policy.Refusal.NOT_LEAD
                    else viewer.t._(
                        "{client} has stopped the companion, so nothing can be changed for "
                        "them now. Nothing was changed.",
                        client=label,
                    )
                )
                return await self._client_page(
                    request, db, viewer, client_id, status=403, message=text
                )
            try:
                result = await run(db, viewer, decision, form)
            except _Unfit as unfit:
                result = viewer.t._(unfit.msgid)
            if isinstance(result, str):
                return await self._client_page(
                    request, db, viewer, client_id, status=400, message=result
                )
            if result.audit is None:  # the use case said no (e.g. no such goal)
                return await self._client_page(
                    request,
                    db,
                    viewer,
                    client_id,
                    status=400,
                    message=plain(" ".join(result.texts)),
                )
            await audit.record(db, viewer.user.id, result.audit, client_id)
            root = request.scope.get("root_path", "")
            return RedirectResponse(f"{root}/clients/{client_id}?saved={saved}", 303)

        return await self.page(request, build)

    async def gas(self, request: Request) -> Response:
        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            number, level = _number(form, "goal"), parse_level(str(form.get("level", "")))
            if number is None or level is None:
                return viewer.t._("Please choose a goal and a level from -2 to +2.")
            return await goal_cases.gas_reached(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client_id=allowed.client_id,
                label=_label(viewer, allowed),
                parsed=GasReached(number, level),
            )

        return await self._write(request, LEAD_CHANGE, run, "gas")

    async def gas_level(self, request: Request) -> Response:
        """What a GAS level of a goal looks like, in the practitioner's words (as
        ``/gas <client> <goal> <level> <description>``)."""

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            number, level = _number(form, "goal"), parse_level(str(form.get("level", "")))
            if number is None or level is None:
                return viewer.t._("Please choose a goal and a level from -2 to +2.")
            description = _text(form, "description")
            if not description:
                return viewer.t._(
                    "Please choose a goal and a level from -2 to +2, and describe the level."
                )
            return await goal_cases.gas_describe(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client_id=allowed.client_id,
                label=_label(viewer, allowed),
                parsed=Gas(number, level, description),
            )

        return await self._write(request, LEAD_CHANGE, run, "gas-level")

    async def goal(self, request: Request) -> Response:
        """Add a goal, reword one or change its state (as ``/goal <client> …``)."""

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            text = _text(form, "text")
            parsed = _goal_change(str(form.get("goal", "new")), str(form.get("verb", "")), text)
            if parsed is None:
                return viewer.t._("Please choose a goal and what to change, with the wording.")
            return await goal_cases.change_goal(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client=allowed.client.client,
                label=_label(viewer, allowed),
                parsed=parsed,
                max_active=self.services.settings.max_active_goals,
            )

        return await self._write(request, LEAD_CHANGE, run, "goal")

    async def strategy(self, request: Request) -> Response:
        """A strategy for an open goal and how often (as ``/strategy <client> …``)."""

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            text = _text(form, "text")
            number, often = _number(form, "goal"), _times_a_week(_number(form, "often"))
            if number is None or often is None or not text:
                return viewer.t._("Please choose a goal and how often, and describe the strategy.")
            return await goal_cases.add_strategy(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client=allowed.client.client,
                label=_label(viewer, allowed),
                parsed=StrategyArgs(number, often, text),
            )

        return await self._write(request, LEAD_CHANGE, run, "strategy")

    async def strategy_change(self, request: Request) -> Response:
        """Reword a strategy, change how often, or stop it (as ``/strategy <client> <n>
        edit|stop <m> …``); ``which`` is "goal.strategy" as the page numbers them."""

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            text = _text(form, "text")
            goal, _, strategy = str(form.get("which", "")).partition(".")
            number, index = goal_number(goal), goal_number(strategy)
            verb = {"edit": Verb.EDIT, "stop": Verb.DROP}.get(str(form.get("verb", "")))
            keep_often = not form.get("often")  # "as it is"
            often = None if keep_often else _times_a_week(_number(form, "often"))
            if number is None or index is None or verb is None or not (keep_often or often):
                return viewer.t._("Please choose a strategy and what to change.")
            if verb == Verb.EDIT and often is None and not text:
                return viewer.t._("Please give the new wording, how often, or both.")
            return await goal_cases.change_strategy(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client=allowed.client.client,
                label=_label(viewer, allowed),
                parsed=StrategyChange(verb, number, index, often, text or None),
            )

        return await self._write(request, LEAD_CHANGE, run, "strategy")

    async def measure(self, request: Request) -> Response:
        """Schedule a questionnaire, or stop it (as ``/measure <client> <id> <how often>``)."""

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            services = self.services
            measure_id = str(form.get("measure", ""))
            try:
                frequency = MeasureFrequency(str(form.get("frequency", "")))
            except ValueError:
                frequency = None
            if frequency is None or measure_id not in services.measures or measure_id == INTAKE:
                return viewer.t._("Please choose a questionnaire and how often it comes.")
            return await measure_cases.schedule(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client=allowed.client.client,
                label=_label(viewer, allowed),
                measure_id=measure_id,
                frequency=frequency,
                measures=services.measures,
                catalogs=services.catalogs,
                default_timezone=services.settings.default_timezone,
            )

        return await self._write(request, LEAD_CHANGE, run, "measure")

    async def note(self, request: Request) -> Response:
        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, form: FormData
        ) -> Result | str:
            text = str(form.get("text", "")).strip()
            if not text:
                return viewer.t._("The note is empty: nothing was saved.")
            if len(text) > NOTE_LENGTH:
                return viewer.t._("That is a little long: please keep it under 2000 characters.")
            return await review_cases.add_note(
                db,
                viewer.t,
                author_id=viewer.user.id,
                client_id=allowed.client_id,
                label=_label(viewer, allowed),
                text=text,
            )

        return await self._write(request, TEAM_CHANGE, run, "note")

    async def attention(self, request: Request) -> Response:
        """The lead takes the client's red or yellow light in hand: who and when are kept
        and shown to the care team, and logged. The light is read here, never posted."""

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, _form: FormData
        ) -> Result | str:
            review = await data.load_client_review(
                db,
                viewer.user.id,
                allowed.client_id,
                today=viewer.today,
                zone=viewer.zone,
                measures_by_id=self.services.measures,
                rules=self.services.settings.decision_rules(),
                words=False,
            )
            light = review.assessment.light if review and review.assessment else None
            return await attention_cases.acknowledge(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client_id=allowed.client_id,
                colour=light.colour if light is not None else Colour.GREY,
                now=utcnow(),
            )

        return await self._write(request, LEAD_CHANGE, run, "attention")

    async def acknowledge(self, request: Request) -> Response:
        """A safety flag taken in hand (the lead): who and when are kept, and logged."""
        flag_id = int(request.path_params["flag_id"])

        async def run(
            db: AsyncSession, viewer: Viewer, allowed: policy.Allowed, _form: FormData
        ) -> Result | str:
            return await safety_cases.acknowledge(
                db,
                viewer.t,
                by_id=viewer.user.id,
                client_id=allowed.client_id,
                flag_id=flag_id,
                now=utcnow(),
            )

        return await self._write(request, LEAD_CHANGE, run, "flag")

    async def export(self, request: Request) -> Response:
        """The PDF, the CSV files (zip) or the FHIR bundle (json), as /export and
        /export fhir make them (the lead; logged)."""
        client_id = int(request.path_params["client_id"])
        kind = request.path_params["kind"]
        if kind not in EXPORT_TYPES:
            raise HTTPException(404)

        async def build(db: AsyncSession, viewer: Viewer) -> Response:
            decision = await policy.authorize_id(db, viewer.user, client_id, LEAD_READ)
            if not isinstance(decision, policy.Allowed):
                return self.not_found(request, viewer.t)
            if kind == "json":
                result = await review_cases.export_fhir(
                    db,
                    viewer.t,
                    client_id=client_id,
                    today=viewer.today,
                    measures_by_id=self.services.measures,
                )
            else:
                result = await review_cases.export_client(
                    db,
                    viewer.t,
                    practitioner_id=viewer.user.id,
                    client_id=client_id,
                    today=viewer.today,
                    zone=viewer.zone,
                    library=self.services.content,
                    measures_by_id=self.services.measures,
                    rules=self.services.settings.decision_rules(),
                )
            assert result.audit is not None
            await audit.record(db, viewer.user.id, result.audit, client_id)
            wanted = next(d for d in result.documents if d.filename.endswith(f".{kind}"))
            return Response(
                wanted.data,
                media_type=EXPORT_TYPES[kind],
                headers={"Content-Disposition": f'attachment; filename="{wanted.filename}"'},
            )

        return await self.page(request, build)


class _Unfit(Exception):
    """A form field that cannot be used as sent: the page again (400) with ``msgid``."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def _text(form: FormData, name: str) -> str:
    """A text field, trimmed; longer than the commands take is :class:`_Unfit`."""
    text = str(form.get(name, "")).strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise _Unfit(TOO_LONG)
    return text


def _number(form: FormData, name: str) -> int | None:
    """A positive number field (a goal's number, how often), as the commands read it."""
    return goal_number(str(form.get(name, "")))


def _times_a_week(times: int | None) -> Frequency | None:
    """The form's "how often": 7 is every day, 1-6 times a week; anything else None."""
    if times == 7:
        return Frequency(FrequencyKind.DAILY)
    if times is not None and 1 <= times <= 6:
        return Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=times)
    return None


def _label(viewer: Viewer, allowed: policy.Allowed) -> str:
    """How the use cases name the client to this practitioner (their alias for them)."""
    return client_label(viewer.t, allowed.client.alias, allowed.client_id)


def _goal_change(goal: str, verb: str, text: str) -> Create | Change | None:
    """The goal form's fields as /goal's arguments: a new goal, or goal n reworded,
    paused, resumed, achieved or dropped; None when they do not make one."""
    if goal == "new":
        return Create(text) if text else None
    try:
        number, chosen = int(goal), Verb(verb)
    except ValueError:
        return None
    if number < 1 or (chosen is Verb.EDIT and not text):
        return None
    return Change(chosen, number, text if chosen is Verb.EDIT else None)


def create_app(
    services: Services, *, bot_token: str, clock: Callable[[], float] = time.time
) -> Starlette:
    """The web view, bound to the bot's services (the same database and catalogs)."""
    web = WebApp(services, bot_token=bot_token, clock=clock)

    async def http_error(request: Request, exc: Exception) -> Response:
        t = services.catalogs.translator(None)
        if isinstance(exc, HTTPException) and exc.status_code == 404:
            return web.not_found(request, t)
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return web.render(
            request,
            "error.html",
            t,
            code,
            title=t._("Something went wrong"),
            message=t._("Please try again in a moment."),
            back=True,
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        logger.exception("event=web.error path=%s", request.url.path, exc_info=exc)
        return await http_error(request, exc)

    app = Starlette(
        routes=[
            Route("/", web.home),
            Route("/auth", web.auth, methods=["POST"]),
            Route("/caseload", web.caseload),
            Route("/clients/{client_id:int}", web.client),
            Route("/clients/{client_id:int}/gas", web.gas, methods=["POST"]),
            Route("/clients/{client_id:int}/notes", web.note, methods=["POST"]),
            Route("/clients/{client_id:int}/gas-levels", web.gas_level, methods=["POST"]),
            Route("/clients/{client_id:int}/measures", web.measure, methods=["POST"]),
            Route("/clients/{client_id:int}/goals", web.goal, methods=["POST"]),
            Route("/clients/{client_id:int}/attention", web.attention, methods=["POST"]),
            Route("/clients/{client_id:int}/strategies", web.strategy, methods=["POST"]),
            Route(
                "/clients/{client_id:int}/strategies/change",
                web.strategy_change,
                methods=["POST"],
            ),
            Route(
                "/clients/{client_id:int}/flags/{flag_id:int}/acknowledge",
                web.acknowledge,
                methods=["POST"],
            ),
            Route("/clients/{client_id:int}/export.{kind:str}", web.export),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.web = web
    return app
