"""Care teams and the practitioner's client list.

A practitioner: /team picks a client and shows
their team; the lead may add a colleague (the client is asked first) or remove a
member. Colleagues are offered from the lead's own practice only; for someone
elsewhere the lead makes a single-use team invite link, which that practitioner
opens and accepts before the client is asked. A client: /team shows who sees
their data, with a button to remove a member; a request to add someone arrives
with "Agree" / "No, thanks".

Callback data (every one checked against the sender before anything is read):
``ct:c:<client>`` show a team, ``ct:a:<client>`` pick a colleague,
``ct:p:<client>:<practitioner>`` ask the client, ``ct:l:<client>`` make a team
invite link, ``ct:ty:<invite>`` / ``ct:tn:<invite>`` the invited practitioner's
answer, ``ct:y:<membership>`` / ``ct:n:<membership>`` the client's answer,
``ct:rm:<membership>`` remove.
"""

from __future__ import annotations

import contextlib
import html
import logging
from datetime import timedelta

from babel.dates import format_date
from telegram import Update
from telegram.error import BadRequest

from bot.callbacks import (
    AddColleague,
    AnswerTeamLink,
    DecideMembership,
    Decision,
    LinkAnswer,
    MakeTeamLink,
    ProposeColleague,
    RemoveMembership,
    ShowTeam,
)
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import MembershipState, Role, TeamRole, User
from bot.enrollment import authorization, care_teams, practitioners, tokens
from bot.enrollment.care_teams import Proposal
from bot.enrollment.client_lookup import client_label
from bot.errors import answer_press
from bot.flows import keyboards
from bot.flows.notify import notify
from bot.flows.outgoing import Outgoing
from bot.i18n import Translator

logger = logging.getLogger(__name__)


async def _refuse(update: Update, context: BotContext) -> None:
    """A button naming something that isn't the sender's: refuse kindly, log ids, change nothing."""
    _ = context.t._
    logger.warning(
        "event=callback.refused user_id=%s action=%s",
        update.effective_user.id,
        update.callback_query.data.split(":")[1] if update.callback_query.data else "",
    )
    await answer_press(
        update.callback_query,
        _("Sorry, this button isn't for you, or it no longer works. Nothing was changed."),
        show_alert=True,
    )


# --------------------------------------------------------------------------- practitioners


async def team(update: Update, context: BotContext) -> None:
    """/team for a client (their own team) or someone not enrolled yet; a practitioner's
    /team picks a client through the practitioner router (``_team`` there)."""
    _ = context.t._
    user = context.user_record
    if user is None:
        await update.effective_message.reply_text(
            _("A care team comes once you've joined with an invite link. /help says more.")
        )
        return
    await _show_client_team(update, context, user)


async def show_team(update: Update, context: BotContext) -> None:
    """ct:c:<client>: the team of one client, as this practitioner may see it."""
    query = update.callback_query
    _ = context.t._
    parsed = ShowTeam.parse(query.data)
    user = context.user_record
    if parsed is None or user is None or user.role != Role.PRACTITIONER:
        await _refuse(update, context)
        return
    client_id = parsed.client_id
    async with context.services.sessions() as session:
        mine = await authorization.membership(session, user.id, client_id)
        if mine is None:
            await _refuse(update, context)
            return
        entries = await care_teams.team(session, client_id)
    await answer_press(query)
    lines = [
        _("<b>Care team of {client}</b>", client=client_label(context.t, mine.alias, client_id))
    ]
    buttons: list[tuple[str, str]] = []
    for entry in entries:
        lines.append(_team_line(context, entry))
        if mine.role == TeamRole.LEAD and entry.membership.role == TeamRole.MEMBER:
            buttons.append(
                (_("Remove {name}", name=entry.name), RemoveMembership(entry.membership.id).pack())
            )
    if mine.role == TeamRole.LEAD:
        buttons.append((_("Add a colleague"), AddColleague(client_id).pack()))
    await query.message.reply_text(
        "\n".join(lines),
        reply_markup=keyboards.inline(*keyboards.in_rows(buttons, 1)) if buttons else None,
    )


def _team_line(context: BotContext, entry: care_teams.TeamEntry) -> str:
    _ = context.t._
    name = html.escape(entry.name)
    if entry.membership.role == TeamRole.LEAD:
        return _("• {name} (lead)", name=name)
    if entry.membership.state == MembershipState.PENDING:
        return _("• {name} (waiting for the client's answer)", name=name)
    return _("• {name}", name=name)


async def pick_colleague(update: Update, context: BotContext) -> None:
    """ct:a:<client>: the lead picks which colleague to propose."""
    query = update.callback_query
    _ = context.t._
    parsed = AddColleague.parse(query.data)
    user = context.user_record
    if parsed is None or user is None:
        await _refuse(update, context)
        return
    client_id = parsed.client_id
    async with context.services.sessions() as session:
        if not await authorization.is_lead(session, user.id, client_id):
            await _refuse(update, context)
            return
        on_team = {entry.practitioner.id for entry in await care_teams.team(session, client_id)}
        colleagues = [
            (colleague, profile)
            for colleague, profile in await practitioners.everyone_but(session, user.id)
            if colleague.id not in on_team
        ]
    await answer_press(query)
    elsewhere = (_("Someone from another practice (a link)"), MakeTeamLink(client_id).pack())
    if not colleagues:
        await query.message.reply_text(
            _("There's no other practitioner to add yet. /colleague makes an invite for one."),
            reply_markup=keyboards.inline([elsewhere]),
        )
        return
    buttons = [
        (profile.display_name, ProposeColleague(client_id, colleague.id).pack())
        for colleague, profile in colleagues
    ]
    await query.message.reply_text(
        _(
            "Whom should I propose? The client is asked first; until they agree, "
            "your colleague sees nothing."
        ),
        reply_markup=keyboards.inline(*keyboards.in_rows([*buttons, elsewhere], 1)),
    )


async def propose(update: Update, context: BotContext) -> None:
    """ct:p:<client>:<practitioner>: record the request and ask the client."""
    query = update.callback_query
    _ = context.t._
    parsed = ProposeColleague.parse(query.data)
    user = context.user_record
    if parsed is None or user is None:
        await _refuse(update, context)
        return
    client_id, colleague_id = parsed.client_id, parsed.colleague_id
    async with context.services.sessions() as session, session.begin():
        result = await care_teams.propose(session, user.id, client_id, colleague_id)
        if (
            result.outcome is Proposal.NOT_ALLOWED
            or result.membership is None
            or result.client is None
        ):
            await _refuse(update, context)
            return
        lead_name = await authorization.practitioner_name(session, user.id)
        colleague_name = await authorization.practitioner_name(session, colleague_id)
        mine = await authorization.membership(session, user.id, client_id)
        client: User = result.client
        membership_id = result.membership.id
    await answer_press(query)
    await query.edit_message_reply_markup(None)
    alias = client_label(context.t, mine.alias if mine else None, client_id)
    if result.outcome is Proposal.ALREADY_ON_TEAM:
        await query.message.reply_text(
            _(
                "{name} is already on the team of {client}.",
                name=html.escape(colleague_name),
                client=alias,
            )
        )
        return
    logger.info("event=care_team.proposed membership_id=%s by=%s", membership_id, user.id)
    await query.message.reply_text(
        _(
            "I've asked {client} whether {name} may join the team. Until they agree, "
            "{name} sees nothing. I'll tell you the answer.",
            client=alias,
            name=html.escape(colleague_name),
        )
    )
    await _ask_client(context, client, lead_name, colleague_name, membership_id)


async def _ask_client(
    context: BotContext, client: User, lead_name: str, colleague_name: str, membership_id: int
) -> None:
    """The client's consent question: may this colleague join the care team?"""
    catalogs = context.services.catalogs
    their = catalogs.translator(catalogs.resolve(client.locale, None))
    await notify(
        context,
        client.telegram_id,
        their._(
            "<b>{lead}</b> would like to add <b>{name}</b> to your care team. {name} would then "
            "see your check-ins, your progress and the notes shared in the team. Do you agree?",
            lead=html.escape(lead_name),
            name=html.escape(colleague_name),
        ),
        event="care_team.consent_requested",
        reply_markup=keyboards.inline(
            [
                (their._("Agree"), DecideMembership(Decision.YES, membership_id).pack()),
                (their._("No, thanks"), DecideMembership(Decision.NO, membership_id).pack()),
            ]
        ),
    )


# --------------------------------------------------------------------------- team invite links


async def make_link(update: Update, context: BotContext) -> None:
    """ct:l:<client>: the lead makes a single-use link for a practitioner of another practice."""
    query = update.callback_query
    _ = context.t._
    parsed = MakeTeamLink.parse(query.data)
    user = context.user_record
    if parsed is None or user is None or user.role != Role.PRACTITIONER:
        await _refuse(update, context)
        return
    client_id = parsed.client_id
    async with context.services.sessions() as session, session.begin():
        made = await care_teams.make_link(
            session,
            user.id,
            client_id,
            now=utcnow(),
            valid_for=timedelta(days=context.services.settings.invite_valid_days),
        )
        mine = await authorization.membership(session, user.id, client_id)
    if made is None:
        await _refuse(update, context)
        return
    logger.info("event=invite.created kind=team invite_id=%s by=%s", made.id, user.id)
    await answer_press(query)
    await query.message.reply_text(
        _(
            "Send this link to the colleague you'd like on the team of {client}. It works "
            "once, for one practitioner, until {date}. They accept first, then {client} is "
            "asked; until then they see nothing:\n{link}",
            client=client_label(context.t, mine.alias if mine else None, client_id),
            date=format_date(made.expires_at, "long", locale=context.t.locale),
            link=tokens.deep_link(context.bot.username, made.payload),
        )
    )


async def answer_link(update: Update, context: BotContext) -> None:
    """ct:ty / ct:tn: the invited practitioner accepts the team invite, or declines it."""
    query = update.callback_query
    _ = context.t._
    parsed = AnswerTeamLink.parse(query.data)
    user = context.user_record
    if parsed is None or user is None or user.role != Role.PRACTITIONER:
        await _refuse(update, context)
        return
    accept = parsed.answer is LinkAnswer.ACCEPT
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        answer = await care_teams.answer_link(
            session, parsed.invite_id, user, accept=accept, now=utcnow()
        )
        if answer is None:
            await _refuse(update, context)
            return
        lead = await session.get(User, answer.invite.created_by_id)
        own_name = await authorization.practitioner_name(session, user.id)
        lead_name = await authorization.practitioner_name(session, lead.id) if lead else ""
        proposed = answer.proposed
        asked = (
            proposed is not None
            and proposed.outcome is Proposal.ASKED
            and proposed.membership is not None
            and proposed.client is not None
        )
        if lead is not None and answer.invite.client_id is not None and (asked or not accept):
            their = _translator(context, lead.locale)
            lead_alias = await authorization.membership(session, lead.id, answer.invite.client_id)
            label = client_label(
                their, lead_alias.alias if lead_alias else None, answer.invite.client_id
            )
            out.notice(
                lead.telegram_id,
                their._(
                    "{name} accepted your invite. I've asked {client} whether they may join "
                    "the team, and I'll tell you the answer.",
                    name=html.escape(own_name),
                    client=label,
                )
                if accept
                else their._(
                    "{name} declined your invite to the care team of {client}.",
                    name=html.escape(own_name),
                    client=label,
                ),
                event="care_team.link_answered",
            )
    logger.info("event=care_team.link_answered invite_id=%s accepted=%s", parsed.invite_id, accept)
    await answer_press(query)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    if not accept:
        await query.message.reply_text(_("Understood. Nothing changes, and the link is used up."))
    elif asked:
        await query.message.reply_text(
            _(
                "Thank you. I've asked the client whether you may join the team. Until they "
                "agree, you see nothing. I'll tell you their answer."
            )
        )
    else:
        await query.message.reply_text(
            _(
                "This invite no longer works, so nothing changed. Please ask {lead} for a new one.",
                lead=html.escape(lead_name),
            )
            if lead_name
            else _("This invite no longer works, so nothing changed."),
        )
    await out.send(context)
    if asked and proposed is not None and proposed.client is not None and proposed.membership:
        logger.info(
            "event=care_team.proposed membership_id=%s by=%s",
            proposed.membership.id,
            answer.invite.created_by_id,
        )
        await _ask_client(context, proposed.client, lead_name, own_name, proposed.membership.id)


def _translator(context: BotContext, locale: str | None) -> Translator:
    catalogs = context.services.catalogs
    return catalogs.translator(catalogs.resolve(locale, None))


# --------------------------------------------------------------------------- clients


async def _show_client_team(update: Update, context: BotContext, user: User) -> None:
    _ = context.t._
    async with context.services.sessions() as session:
        entries = await care_teams.team(session, user.id)
    lines = [_("<b>Who sees your data</b>")]
    buttons = []
    for entry in entries:
        lines.append(_team_line(context, entry))
        if entry.membership.role == TeamRole.MEMBER:
            buttons.append(
                (_("Remove {name}", name=entry.name), RemoveMembership(entry.membership.id).pack())
            )
    lines.append(_("Nobody else is added without your agreement."))
    await update.effective_message.reply_text(
        "\n".join(lines),
        reply_markup=keyboards.inline(*keyboards.in_rows(buttons, 1)) if buttons else None,
    )


async def decide(update: Update, context: BotContext) -> None:
    """ct:y / ct:n: the client agrees to a colleague joining, or declines."""
    query = update.callback_query
    _ = context.t._
    parsed = DecideMembership.parse(query.data)
    user = context.user_record
    if parsed is None or user is None or user.role != Role.CLIENT:
        await _refuse(update, context)
        return
    agree = parsed.decision is Decision.YES
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        member = await care_teams.decide(
            session, parsed.membership_id, user.id, agree=agree, now=utcnow()
        )
        if member is None:
            await _refuse(update, context)
            return
        name = await authorization.practitioner_name(session, member.practitioner_id)
        lead = await session.get(User, member.invited_by_id) if member.invited_by_id else None
        colleague = await session.get(User, member.practitioner_id)
        catalogs = context.services.catalogs
        if lead is not None:
            their = catalogs.translator(catalogs.resolve(lead.locale, None))
            lead_alias = await authorization.membership(session, lead.id, user.id)
            label = client_label(their, lead_alias.alias if lead_alias else None, user.id)
            text = (
                their._(
                    "<b>{client}</b> agreed: {name} is now on the care team.",
                    client=label,
                    name=html.escape(name),
                )
                if agree
                else their._(
                    "<b>{client}</b> declined adding {name} to the care team.",
                    client=label,
                    name=html.escape(name),
                )
            )
            out.notice(lead.telegram_id, text, event="care_team.answered")
        if agree and colleague is not None:
            their = catalogs.translator(catalogs.resolve(colleague.locale, None))
            out.notice(
                colleague.telegram_id,
                their._(
                    "You've joined the care team of <b>{client}</b>. /clients lists them.",
                    client=client_label(their, member.alias, user.id),
                ),
                event="care_team.joined",
            )
    logger.info("event=care_team.decided membership_id=%s agreed=%s", parsed.membership_id, agree)
    await answer_press(query)
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(
        _("Thank you. {name} is now on your care team.", name=html.escape(name))
        if agree
        else _("Understood. {name} won't see anything.", name=html.escape(name))
    )
    await out.send(context)


async def remove(update: Update, context: BotContext) -> None:
    """ct:rm:<membership>: the client or the lead removes a member."""
    query = update.callback_query
    _ = context.t._
    parsed = RemoveMembership.parse(query.data)
    user = context.user_record
    if parsed is None or user is None:
        await _refuse(update, context)
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        member = await care_teams.remove(session, parsed.membership_id, user.id, utcnow())
        if member is None:
            await _refuse(update, context)
            return
        name = await authorization.practitioner_name(session, member.practitioner_id)
        removed = await session.get(User, member.practitioner_id)
        catalogs = context.services.catalogs
        if removed is not None:
            their = catalogs.translator(catalogs.resolve(removed.locale, None))
            out.notice(
                removed.telegram_id,
                their._(
                    "You're no longer on the care team of <b>{client}</b>.",
                    client=client_label(their, member.alias, member.client_id),
                ),
                event="care_team.removed",
            )
        if user.id == member.client_id:  # the client removed them: the lead should know
            for viewer in await authorization.team_viewers(session, member.client_id):
                if viewer.role != TeamRole.LEAD:
                    continue
                their = catalogs.translator(catalogs.resolve(viewer.locale, None))
                out.notice(
                    viewer.telegram_id,
                    their._(
                        "<b>{client}</b> removed {name} from the care team.",
                        client=client_label(their, viewer.alias, member.client_id),
                        name=html.escape(name),
                    ),
                    event="care_team.removed_by_client",
                )
        else:  # the lead removed them: the client should know
            client = await session.get(User, member.client_id)
            lead_name = await authorization.practitioner_name(session, user.id)
            their = catalogs.translator(catalogs.resolve(client.locale, None))
            out.notice(
                client.telegram_id,
                their._(
                    "{lead} removed {name} from your care team: {name} no longer sees your data.",
                    lead=html.escape(lead_name),
                    name=html.escape(name),
                ),
                event="care_team.removed_by_lead",
            )
    logger.info("event=care_team.removed membership_id=%s by=%s", parsed.membership_id, user.id)
    await answer_press(query)
    with contextlib.suppress(BadRequest):  # the buttons may be gone already: harmless
        await query.edit_message_reply_markup(None)
    await query.message.reply_text(
        _("{name} is no longer on the care team.", name=html.escape(name))
    )
    await out.send(context)
