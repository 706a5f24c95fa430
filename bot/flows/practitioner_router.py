"""One router for the practitioner commands that name a client.

Each command is declared once, in :data:`COMMANDS`: its name, its argument grammar
(``bot.domain.practitioner_args``), its usage (in the user's language), who may use
it and whether it refuses a stopped client (an :class:`~bot.access.policy.Access`),
what it may log (``bot.audit``), and the use case it calls. One dispatch does the
frame every command shares, in this order:

    1. the sender is a practitioner (else "This command is for practitioners.", or,
       for /goals, the client's own goals);
    2. the words parse: every cut of "<client> <rest>", longest name first; no words,
       or a rest that does not parse for the name found, answers with the usage;
    3. ONE session and transaction: the first cut whose name names a client on the
       sender's care teams (``bot.access.policy``); nobody, or more than one, is
       answered kindly; then lead / team member and stopped, as declared;
    4. the use case, with plain values; what it read or changed is logged in the
       same transaction;
    5. after the commit: the messages (with buttons), notices to others, a photo,
       documents.

The rule for stopped clients, stated once in ``bot.access.policy``: changes are
refused, reads are allowed. Button handlers (``pa:`` …) are not routed here.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler, filters

from bot import audit
from bot.access import policy
from bot.access.policy import LEAD_CHANGE, LEAD_READ, TEAM_CHANGE, TEAM_READ, Access, Refusal
from bot.access.result import Result
from bot.audit import AuditAction
from bot.context import BotContext
from bot.dates import Clock
from bot.db.base import utcnow
from bot.db.models import User
from bot.domain import practitioner_args as grammar
from bot.domain.goal_commands import Problem, StrategyChange
from bot.domain.practitioner_args import Candidate, Grammar
from bot.domain.schedule import zone_or_default
from bot.enrollment import usecases as enrollment_cases
from bot.enrollment.authorization import VisibleClient
from bot.enrollment.client_lookup import client_label
from bot.flows import care_team, goals, keyboards, lesson_more, practitioner_lessons
from bot.flows.outgoing import Outgoing
from bot.flows.practitioner_commands import ECHO_LENGTH, not_for_you, one_client
from bot.goals import usecases as goal_cases
from bot.i18n import N_, Translator
from bot.lessons import usecases as lesson_cases
from bot.measures import defaults as measure_defaults
from bot.measures import usecases as measure_cases
from bot.review import usecases as review_cases
from bot.safety import lines as crisis_lines
from bot.services import Services

logger = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

NOT_LEAD = N_("Only the lead practitioner of {client} can do this.")
STOPPED = N_(
    "{client} has stopped the companion, so nothing can be changed for them now. "
    "Nothing was changed."
)
TOO_LONG = N_("That is a little long: please keep it under 300 characters.")


@dataclass(frozen=True)
class Call:
    """What a command's use case is called with: plain values, and the open session."""

    session: AsyncSession
    t: Translator
    services: Services
    user: User  # the practitioner
    args: Any  # what the grammar parsed (the raw words for a command without a client)
    found: VisibleClient | None = None  # the client, as this practitioner knows them
    bot_username: str = ""  # for the links a use case makes (invites)

    @property
    def client(self) -> User:
        assert self.found is not None
        return self.found.client

    @property
    def label(self) -> str:
        assert self.found is not None
        return client_label(self.t, self.found.alias, self.found.client.id)

    @property
    def zone(self) -> ZoneInfo:
        """The practitioner's time zone."""
        return zone_or_default(self.user.timezone, self.services.settings.default_timezone)

    @property
    def clock(self) -> Clock:
        """How the practitioner reads dates: their language and zone (UTC, labelled, when
        their zone is unknown)."""
        return Clock.of(self.t.locale, self.user.timezone)

    @property
    def today(self) -> date:
        return utcnow().astimezone(self.zone).date()


@dataclass(frozen=True)
class Command:
    """One practitioner command, declared once."""

    name: str
    grammar: Grammar[Any] | None  # None: no client (the raw words go to ``run``)
    usage: str  # msgid (N_): what to type, answered to a usage error
    access: Access | Callable[[Any], Access]  # what it requires (given the parsed args)
    audits: tuple[AuditAction, ...]  # what it may log
    run: Callable[[Call], Awaitable[Result]]
    not_lead: str = NOT_LEAD  # msgid with {client}
    stopped: str = STOPPED  # msgid with {client}
    usage_text: Callable[[Translator, Services], str] | None = None  # a usage with values
    others: Handler | None = None  # answers a sender who is not a practitioner

    def access_for(self, args: Any) -> Access:
        return self.access(args) if callable(self.access) else self.access

    def usage_for(self, t: Translator, services: Services, problem: Problem | None) -> str:
        if problem is Problem.TOO_LONG:
            return t._(TOO_LONG)
        if self.usage_text is not None:
            return self.usage_text(t, services)
        return t._(self.usage)


# --------------------------------------------------------------------------- dispatch


async def dispatch(command: Command, update: Update, context: BotContext) -> None:
    """The one frame of every practitioner command (see the module's docstring)."""
    user = context.user_record
    if user is None or not policy.is_practitioner(user):
        await (command.others or not_for_you)(update, context)
        return
    t = context.t
    services = context.services
    words = list(context.args or [])
    assert update.effective_chat is not None and update.effective_message is not None
    out = Outgoing(update.effective_chat.id)
    if command.grammar is None:
        async with services.sessions() as session, session.begin():
            call = Call(session, t, services, user, words, bot_username=context.bot.username)
            result = await _run(command, call, None)
        await _send(context, out, result)
        return
    cuts = grammar.candidates(words, command.grammar)
    if not cuts:
        await update.effective_message.reply_text(command.usage_for(t, services, None))
        return
    outcome: Result | None = None
    async with services.sessions() as session, session.begin():
        found = await policy.find_named(session, user, [cut.name for cut in cuts])
        if found is None:
            one_client(out, t, grammar.echo_name(cuts), [])
        else:
            name, matches = found
            cut: Candidate[Any] = next(cut for cut in cuts if cut.name == name)
            if len(matches) == 1 and isinstance(cut.args, Problem):
                out.say(command.usage_for(t, services, cut.args))
            else:
                decision = policy.allow(name, matches, command.access_for(cut.args))
                if isinstance(decision, policy.Refused):
                    _refuse(out, t, command, decision)
                else:
                    call = Call(session, t, services, user, cut.args, decision.client)
                    outcome = await _run(command, call, decision.client_id)
    await _send(context, out, outcome)


async def _run(command: Command, call: Call, client_id: int | None) -> Result:
    """The use case, then the access log row(s) for what it read or changed."""
    result = await command.run(call)
    if result.audit is not None:
        assert result.audit in command.audits, (command.name, result.audit)
        if result.audit_clients is not None:
            await audit.record_many(call.session, call.user.id, result.audit, result.audit_clients)
        elif client_id is not None:
            await audit.record(call.session, call.user.id, result.audit, client_id)
    return result


def _refuse(out: Outgoing, t: Translator, command: Command, refused: policy.Refused) -> None:
    if refused.reason is Refusal.NOT_FOUND:
        one_client(out, t, refused.named, [])
        return
    if refused.reason is Refusal.AMBIGUOUS:
        out.say(
            t._(
                "More than one of your clients is called “{name}”. Please use their number "
                "instead: {numbers}.",
                name=html.escape(" ".join(refused.named.split())[:ECHO_LENGTH]),
                numbers=", ".join(str(number) for number in refused.others),
            )
        )
        return
    assert refused.client is not None
    label = client_label(t, refused.client.alias, refused.client.client.id)
    text = command.not_lead if refused.reason is Refusal.NOT_LEAD else command.stopped
    out.say(t._(text, client=label))
    logger.info(
        "event=command.refused command=%s reason=%s client_id=%s",
        command.name,
        refused.reason.value,
        refused.client.client.id,
    )


async def _send(context: BotContext, out: Outgoing, result: Result | None) -> None:
    """After the commit: messages, notices, then a photo or documents."""
    if result is not None:
        for text, buttons in result.messages:
            out.say(text, keyboards.inline(*buttons) if buttons else None)
        for notice in result.notices:
            out.notice(notice.chat_id, notice.text, event=notice.event)
    await out.send(context)
    if result is None:
        return
    chat_id = out.chat_id
    if result.photo is not None:
        await context.bot.send_photo(
            chat_id,
            InputFile(result.photo.data, filename=result.photo.filename),
            caption=result.photo.caption,
        )
    for document in result.documents:
        await context.bot.send_document(
            chat_id, InputFile(document.data, filename=document.filename), caption=document.caption
        )


# --------------------------------------------------------------------------- the use cases


async def _invite(call: Call) -> Result:
    return await enrollment_cases.invite_client(
        call.session,
        call.t,
        practitioner_id=call.user.id,
        alias=" ".join(call.args),
        now=utcnow(),
        valid_for=timedelta(days=call.services.settings.invite_valid_days),
        bot_username=call.bot_username,
    )


async def _colleague(call: Call) -> Result:
    return await enrollment_cases.invite_colleague(
        call.session,
        call.t,
        practitioner_id=call.user.id,
        name=" ".join(call.args),
        now=utcnow(),
        valid_for=timedelta(days=call.services.settings.invite_valid_days),
        bot_username=call.bot_username,
    )


async def _team(call: Call) -> Result:
    return await enrollment_cases.team_picker(call.session, call.t, practitioner_id=call.user.id)


async def _goals(call: Call) -> Result:
    return await goal_cases.list_goals(
        call.session, call.t, client_id=call.client.id, label=call.label
    )


async def _goal(call: Call) -> Result:
    return await goal_cases.change_goal(
        call.session,
        call.t,
        by_id=call.user.id,
        client=call.client,
        label=call.label,
        parsed=call.args,
        max_active=call.services.settings.max_active_goals,
    )


async def _gas(call: Call) -> Result:
    return await goal_cases.gas(
        call.session,
        call.t,
        by_id=call.user.id,
        client_id=call.client.id,
        label=call.label,
        parsed=call.args,
    )


async def _strategy(call: Call) -> Result:
    if isinstance(call.args, StrategyChange):
        return await goal_cases.change_strategy(
            call.session,
            call.t,
            by_id=call.user.id,
            client=call.client,
            label=call.label,
            parsed=call.args,
        )
    return await goal_cases.add_strategy(
        call.session,
        call.t,
        by_id=call.user.id,
        client=call.client,
        label=call.label,
        parsed=call.args,
    )


async def _assign(call: Call) -> Result:
    services = call.services
    if isinstance(call.args, grammar.OfferPrograms):
        return lesson_cases.offer_programs(
            call.t,
            client=call.client,
            label=call.label,
            library=services.content,
            button_data=practitioner_lessons.program_button,
        )
    return await lesson_cases.assign_program(
        call.session,
        call.t,
        by_id=call.user.id,
        client=call.client,
        label=call.label,
        program_id=call.args.program_id,
        library=services.content,
        catalogs=services.catalogs,
        default_timezone=services.settings.default_timezone,
        prompt_window_minutes=services.settings.prompt_window_minutes,
        button_data=practitioner_lessons.program_button,
    )


async def _lessons(call: Call) -> Result:
    return await lesson_cases.lesson_progress(
        call.session,
        call.t,
        client_id=call.client.id,
        label=call.label,
        library=call.services.content,
        zone=call.zone,
        now=utcnow(),
    )


async def _intake(call: Call) -> Result:
    return await measure_cases.intake_report(
        call.session,
        call.t,
        client_id=call.client.id,
        label=call.label,
        measures=call.services.measures,
        zone=call.zone,
    )


async def _measure(call: Call) -> Result:
    services = call.services
    if isinstance(call.args, grammar.MeasureOverview):
        return await measure_cases.overview(
            call.session,
            call.t,
            client_id=call.client.id,
            label=call.label,
            measures=services.measures,
            zone=call.zone,
        )
    return await measure_cases.schedule(
        call.session,
        call.t,
        by_id=call.user.id,
        client=call.client,
        label=call.label,
        measure_id=call.args.measure_id,
        frequency=call.args.frequency,
        measures=services.measures,
        catalogs=services.catalogs,
        default_timezone=services.settings.default_timezone,
    )


async def _measures(call: Call) -> Result:
    return await measure_defaults.measure_defaults(
        call.session,
        call.t,
        practitioner_id=call.user.id,
        words=list(call.args),
        measures=call.services.measures,
    )


def _measure_access(args: Any) -> Access:
    return TEAM_READ if isinstance(args, grammar.MeasureOverview) else LEAD_CHANGE


async def _digest(call: Call) -> Result:
    services = call.services
    if call.args:
        return await review_cases.digest_preference(
            call.session,
            call.t,
            practitioner_id=call.user.id,
            typed=" ".join(call.args),
            locales=services.catalogs.locales,
            default_timezone=services.settings.default_timezone,
        )
    return await review_cases.digest_now(
        call.session,
        call.t,
        practitioner=call.user,
        today=call.today,
        library=services.content,
        default_timezone=services.settings.default_timezone,
        measures_by_id=services.measures,
        rules=services.settings.decision_rules(),
    )


async def _clients(call: Call) -> Result:
    return await review_cases.caseload(call.session, call.t, practitioner_id=call.user.id)


async def _client(call: Call) -> Result:
    return await review_cases.client_view(
        call.session,
        call.t,
        practitioner_id=call.user.id,
        client_id=call.client.id,
        today=call.today,
        zone=call.zone,
        library=call.services.content,
        measures_by_id=call.services.measures,
        rules=call.services.settings.decision_rules(),
        crisis_lines=crisis_lines.for_practitioner(call.t, call.services, call.client),
        clock=call.clock,
    )


async def _note(call: Call) -> Result:
    return await review_cases.add_note(
        call.session,
        call.t,
        author_id=call.user.id,
        client_id=call.client.id,
        label=call.label,
        text=call.args.text,
    )


async def _export(call: Call) -> Result:
    if call.args is grammar.ExportFormat.FHIR:
        return await review_cases.export_fhir(
            call.session,
            call.t,
            client_id=call.client.id,
            today=call.today,
            measures_by_id=call.services.measures,
        )
    return await review_cases.export_client(
        call.session,
        call.t,
        practitioner_id=call.user.id,
        client_id=call.client.id,
        today=call.today,
        zone=call.zone,
        library=call.services.content,
        measures_by_id=call.services.measures,
        rules=call.services.settings.decision_rules(),
        clock=call.clock,
    )


async def _audit(call: Call) -> Result:
    return await review_cases.access_log(
        call.session,
        call.t,
        client_id=call.client.id,
        label=call.label,
        zone=call.zone,
        clock=call.clock,
    )


# --------------------------------------------------------------------------- the declarations

GOALS_NOT_LEAD = N_(
    "Only the lead practitioner of {client} can change their goals. You can see them with /goals."
)
GOALS_STOPPED = N_(
    "{client} has stopped the companion, so I won't change their goals. Nothing was changed."
)


COMMANDS: tuple[Command, ...] = (
    Command(
        "goals",
        grammar.NAME_ONLY,
        N_("Tell me whose goals to show, like /goals Anna. /clients lists your clients."),
        TEAM_READ,
        (AuditAction.GOALS_VIEW,),
        _goals,
        others=goals.goals_command,  # a client's own goals,
    ),
    Command(
        "goal",
        grammar.GOAL,
        N_(
            "Like this: /goal Anna Walk 20 minutes after lunch. To change goal 2 (numbers from "
            "/goals Anna): /goal Anna edit 2 Walk 15 minutes; /goal Anna pause 2, resume 2, "
            "achieve 2 or drop 2."
        ),
        LEAD_CHANGE,
        (AuditAction.GOAL_CREATE, AuditAction.GOAL_CHANGE),
        _goal,
        not_lead=GOALS_NOT_LEAD,
        stopped=GOALS_STOPPED,
    ),
    # Both meanings: "/gas Anna 2 +1" records the level reached now (a score);
    # "/gas Anna 2 +1 Walks four days a week" describes what level +1 looks like.
    Command(
        "gas",
        grammar.GAS,
        N_(
            "Like this: /gas Anna 2 +1 Walks four days a week — the client, the goal number "
            "from /goals Anna, a level from -2 to +2, and what that level looks like. "
            "Without a description, /gas Anna 2 +1 records the level goal 2 has reached now."
        ),
        LEAD_CHANGE,
        (AuditAction.GAS_SCORE, AuditAction.GOAL_GAS),
        _gas,
        not_lead=GOALS_NOT_LEAD,
        stopped=GOALS_STOPPED,
    ),
    Command(
        "strategy",
        grammar.STRATEGY,
        N_(
            "Like this: /strategy Anna 2 mon,wed,fri A walk after lunch — the client, the goal "
            "number from /goals Anna, how often (daily, 3/week or days like mon,wed,fri) and "
            "the strategy. To change strategy 1 of goal 2: /strategy Anna 2 edit 1 3/week "
            "A short walk (how often, the wording or both); to stop it: /strategy Anna 2 stop 1."
        ),
        LEAD_CHANGE,
        (AuditAction.STRATEGY_ADD, AuditAction.STRATEGY_CHANGE),
        _strategy,
        not_lead=GOALS_NOT_LEAD,
        stopped=GOALS_STOPPED,
    ),
    Command(
        "assign",
        grammar.ASSIGN,
        N_("Tell me whose program to choose, like /assign Anna. /clients lists your clients."),
        LEAD_CHANGE,
        (AuditAction.PROGRAM_ASSIGN, AuditAction.LESSON_SEND),
        _assign,
        not_lead=practitioner_lessons.NOT_LEAD,
        stopped=practitioner_lessons.STOPPED,
    ),
    Command(
        "lessons",
        grammar.NAME_ONLY,
        N_("Tell me whose lessons to show, like /lessons Anna. /clients lists your clients."),
        TEAM_READ,
        (AuditAction.LESSONS_VIEW,),
        _lessons,
        others=lesson_more.client_lessons,  # a client's own lessons, and one more now
    ),
    Command(
        "intake",
        grammar.NAME_ONLY,
        N_("Tell me whose intake to show, like /intake Anna. /clients lists your clients."),
        TEAM_READ,
        (AuditAction.INTAKE_VIEW,),
        _intake,
    ),
    # "/measure Anna" reads (any team member); "/measure Anna wellbeing weekly|stop"
    # changes the schedule (the lead; not for a stopped client).
    Command(
        "measure",
        grammar.MEASURE,
        "",
        _measure_access,
        (AuditAction.MEASURE_VIEW, AuditAction.MEASURE_ASSIGN),
        _measure,
        not_lead=N_(
            "Only the lead practitioner of {client} can schedule questionnaires. "
            "You can see the results with /measure."
        ),
        usage_text=lambda t, services: measure_cases.usage(t, services.measures),
    ),
    # No client named: only the role is checked; each lists only the sender's own clients.
    Command("invite", None, "", TEAM_READ, (), _invite),
    # The questionnaires every new client of the sender gets (their own setting).
    Command("measures", None, "", TEAM_READ, (), _measures),
    Command("colleague", None, "", TEAM_READ, (), _colleague),
    # A client's /team (their own team) and a stranger's are answered by the care-team flow.
    Command("team", None, "", TEAM_READ, (), _team, others=care_team.team),
    Command("digest", None, "", TEAM_READ, (AuditAction.DIGEST,), _digest),
    Command("clients", None, "", TEAM_READ, (), _clients),
    Command(
        "client",
        grammar.NAME_ONLY,
        N_("Tell me whose data to show, like /client Anna. /clients lists your clients."),
        TEAM_READ,
        (AuditAction.CLIENT_VIEW,),
        _client,
    ),
    Command(
        "note",
        grammar.NOTE,
        N_(
            "Write the note after the client's name, like /note Anna Talked about sleep today. "
            "Their care team sees it, and so does the client in their copy of their data "
            "(/mydata)."
        ),
        TEAM_CHANGE,
        (AuditAction.NOTE_ADD,),
        _note,
    ),
    Command(
        "export",
        grammar.EXPORT,
        N_(
            "Tell me whose data to export, like /export Anna (CSV files and a PDF), or "
            "/export Anna fhir (an HL7 FHIR file for a record system)."
        ),
        LEAD_READ,
        (AuditAction.EXPORT,),
        _export,
    ),
    Command(
        "audit",
        grammar.NAME_ONLY,
        N_("Tell me whose access log to show, like /audit Anna."),
        LEAD_READ,
        (AuditAction.AUDIT_VIEW,),
        _audit,
    ),
)


def handler_for(command: Command) -> Handler:
    """The PTB callback of one declared command (the router is what answers it)."""

    async def routed(update: Update, context: BotContext) -> None:
        await dispatch(command, update, context)

    routed.__doc__ = f"/{command.name}: routed by bot.flows.practitioner_router."
    routed.__qualname__ = routed.__name__ = f"route_{command.name}"
    routed.routed_command = command  # type: ignore[attr-defined]
    return routed


def is_routed(callback: object) -> bool:
    """Whether a registered callback is this router's (the coverage test asks)."""
    return isinstance(getattr(callback, "routed_command", None), Command)


def register(
    application: Application[Any, Any, Any, Any, Any, Any], on: filters.BaseFilter
) -> None:
    """Every declared command, as a CommandHandler (called from ``bot/app.py``)."""
    for command in COMMANDS:
        application.add_handler(CommandHandler(command.name, handler_for(command), filters=on))
