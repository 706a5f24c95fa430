"""What a check-in says: one question at a time, the thank-you, streak words, /progress lines.

Plain functions of a translator and plain data, returning ``Rendered`` (text and
buttons), so the scheduled prompt (rendered by the delivery engine) and the replies
to button presses say the same thing. Goal and strategy wording is the client's
own: escaped.
"""

from __future__ import annotations

import html
from datetime import date

from babel.dates import format_date

from bot.callbacks import BackFrom, CheckinBack, CheckinOp, CheckinPress
from bot.checkins.core import NOTE, Plan, Summary
from bot.checkins.streaks import Celebration
from bot.delivery.renderers import Button, Rendered
from bot.domain.checkins import Encouragement
from bot.i18n import Translator

PREFIX = CheckinPress.PREFIX
PATTERN = rf"^{PREFIX}:"
BACK_PATTERN = rf"^{CheckinBack.PREFIX}:"


def day_code(local_date: date) -> str:
    return local_date.strftime("%Y%m%d")


def data(local_date: date, op: str, ident: int | None = None, value: int | None = None) -> str:
    """Callback data ``ck:<yyyymmdd>:<op>[:<id>[:<value>]]`` (well under 64 bytes)."""
    return CheckinPress(local_date, CheckinOp(op), ident, value).pack()


def _title(text: str | None) -> str:
    return html.escape(text or "…")


def back_data(local_date: date, step: str) -> str | None:
    """Callback data of "Back" on the question ``step`` (None: not a question)."""
    kind, _sep, ident = step.partition(":")
    if kind == "goal" and ident.isdigit():
        return CheckinBack(local_date, BackFrom.GOAL, int(ident)).pack()
    if kind == "strategy" and ident.isdigit():
        return CheckinBack(local_date, BackFrom.STRATEGY, int(ident)).pack()
    if step == NOTE:
        return CheckinBack(local_date, BackFrom.NOTE).pack()
    return None


def step_of(back: CheckinBack) -> str:
    """The question a "Back" button was shown on (``back_data`` read back)."""
    if back.kind is BackFrom.NOTE:
        return NOTE
    kind = "goal" if back.kind is BackFrom.GOAL else "strategy"
    return f"{kind}:{back.ident}"


def _anchors(t: Translator, low: str | None, high: str | None) -> str | None:
    """The client's own words for 0 and 10, both or the one there is."""
    if low and high:
        return t._("0 = {low} · 10 = {high}", low=html.escape(low), high=html.escape(high))
    if low:
        return t._("0 = {low}", low=html.escape(low))
    if high:
        return t._("10 = {high}", high=html.escape(high))
    return None


def question(
    t: Translator,
    plan: Plan,
    step: str,
    local_date: date,
    *,
    answered: int | bool | None = None,
) -> Rendered:
    """The open question of a check-in. Every question offers "Skip today" (answers given
    so far are kept); every one after the first offers "Back", to change the last answer.
    ``answered``: the answer given before the client went Back, shown to change or keep."""
    _ = t._
    last_row: list[Button] = []
    back = back_data(local_date, step)
    if back is not None and plan.before(step) is not None:
        last_row.append(Button(_("« Back"), back))
    last_row.append(Button(_("Skip today"), data(local_date, "x")))
    kind, _sep, ident = step.partition(":")
    if kind == "goal" and ident.isdigit() and int(ident) in plan.goals:
        goal = plan.goals[int(ident)]
        number, total = plan.position(step)
        lines = [
            _("Your check-in 🌱 ({number} of {total})", number=number, total=total),
            "",
            f"<b>{_title(goal.title)}</b>",
            _("How was it today, from 0 to 10?"),
        ]
        anchors = _anchors(t, goal.anchor_low, goal.anchor_high)
        if anchors is not None:
            lines.append(anchors)
        if isinstance(answered, int) and not isinstance(answered, bool):
            lines += ["", _("Your answer was {value}. Tap it again to keep it.", value=answered)]
        scale = [Button(str(v), data(local_date, "g", goal.id, v)) for v in range(11)]
        return Rendered(
            text="\n".join(lines), buttons=(tuple(scale[:6]), tuple(scale[6:]), tuple(last_row))
        )
    if kind == "strategy" and ident.isdigit() and int(ident) in plan.strategies:
        strategy = plan.strategies[int(ident)]
        # "The last 24 hours", not "today": a check-in at 20:00 cannot ask whether a
        # step planned for 23:00 was done, but it can ask about last night's.
        lines = [_("Did you do this in the last 24 hours?"), "", f"<b>{_title(strategy.title)}</b>"]
        if isinstance(answered, bool):
            said = _("Done ✓") if answered else _("Not this time")
            lines += ["", _("Your answer was “{answer}”. Tap it again to keep it.", answer=said)]
        text = "\n".join(lines)
        buttons = (
            Button(_("Done ✓"), data(local_date, "s", strategy.id, 1)),
            Button(_("Not this time"), data(local_date, "s", strategy.id, 0)),
        )
        return Rendered(text=text, buttons=(buttons, tuple(last_row)))
    if step == NOTE:
        text = _(
            "Anything you'd like to add about today? Just type a short note: your "
            "practitioner can read it, and it is stored encrypted. Or skip it."
        )
        return Rendered(
            text=text,
            buttons=((Button(_("No note today"), data(local_date, "n")),), tuple(last_row)),
        )
    return Rendered(text=_("Thank you — your check-in is saved. 🌱"))


def no_goals(t: Translator) -> str:
    return t._("When you have a goal (/goals), I'll ask about it here, one tap a day.")


def thanks(t: Translator, user_id: int, celebration: Celebration) -> str:
    """The thank-you at the end of a check-in: streak, and a milestone or a welcome back."""
    _ = t._
    lines = [_("Thank you — your check-in is saved. 🌱")]
    if celebration.milestone is not None:
        lines += ["", milestone(t, celebration.milestone, variant=user_id + celebration.milestone)]
    elif celebration.welcome_back:
        lines += ["", welcome_back(t, variant=user_id + celebration.current + celebration.best)]
    if celebration.current > 0:
        lines += ["", streak_line(t, celebration.current, celebration.best)]
    return "\n".join(lines)


def streak_line(t: Translator, current: int, best: int) -> str:
    return t.ngettext(
        "Streak: {count} day (your best: {best}).",
        "Streak: {count} days (your best: {best}).",
        current,
        best=best,
    )


def milestone(t: Translator, count: int, *, variant: int) -> str:
    """A short celebration; which of four is chosen by ``variant`` (deterministic)."""
    choice = variant % 4
    if choice == 0:
        return t.ngettext(
            "🎉 {count} day in a row! Every check-in is a minute just for you.",
            "🎉 {count} days in a row! Every check-in is a minute just for you.",
            count,
        )
    if choice == 1:
        return t.ngettext(
            "✨ {count} check-in in a row — steady work. Well done.",
            "✨ {count} check-ins in a row — steady work. Well done.",
            count,
        )
    if choice == 2:
        return t.ngettext(
            "🌱 {count} day running. Small steps, kept up, add up.",
            "🌱 {count} days running. Small steps, kept up, add up.",
            count,
        )
    return t.ngettext(
        "🌟 A streak of {count} day! Thank you for showing up for yourself.",
        "🌟 A streak of {count} days! Thank you for showing up for yourself.",
        count,
    )


def welcome_back(t: Translator, *, variant: int) -> str:
    _ = t._
    if variant % 2 == 0:
        return _("Welcome back! 🌿 Good to see you again — today counts.")
    return _("Nice to have you back. 🌿 Every day is a fresh start, and today is one.")


def low_twice(t: Translator) -> str:
    return t._(
        "Thank you for being honest about how it's going. Two hard days in a row can weigh "
        "a lot. If you'd like support, /help shows where to find it — any time."
    )


def expired(t: Translator) -> str:
    return t._("This check-in has expired. There is nothing to do — see you next time. 🌿")


def skipped(t: Translator) -> str:
    return t._("Okay, skipped for today. Take care.")


def already_done(t: Translator, summary: Summary) -> str:
    """The kind reply to a second /checkin on a day already checked in."""
    _ = t._
    lines = [_("You've already checked in today — thank you. Here is what you said:"), ""]
    for goal, value in summary.ratings:
        lines.append(_("{goal}: {value}/10", goal=_title(goal.title), value=value))
    for strategy, done in summary.strategies:
        mark = _("done") if done else _("not today")
        lines.append(_("{strategy}: {answer}", strategy=_title(strategy.title), answer=mark))
    if summary.has_note:
        lines.append(_("And a note."))
    lines += ["", _("Your next check-in is tomorrow.")]
    return "\n".join(lines)


def skipped_today(t: Translator) -> str:
    return t._("You skipped today's check-in — that's completely fine. See you tomorrow.")


def missed_today(t: Translator) -> str:
    return t._("Today's check-in has closed. No worries — see you tomorrow.")


def nudge(t: Translator, local_date: date) -> Rendered:
    _ = t._
    return Rendered(
        text=_(
            "Just a gentle nudge: your check-in is still open, whenever you have a "
            "minute. Skipping is fine too."
        ),
        buttons=(
            (
                Button(_("Check in now"), data(local_date, "q")),
                Button(_("Skip today"), data(local_date, "x")),
            ),
        ),
    )


def progress_caption(
    t: Translator, *, current: int, best: int, line: str, has_ratings: bool
) -> str:
    _ = t._
    parts = [_("<b>Your progress</b>")]
    if has_ratings:
        parts.append(_("Your ratings of the last four weeks, per goal."))
    if current:
        parts.append(streak_line(t, current, best))
    else:
        parts.append(_("Streak: not yet — today can be day one."))
    if best and not current:
        parts.append(_("Your best so far: {best}.", best=best))
    parts += ["", line]
    return "\n".join(parts)


def encouragement_line(
    t: Translator,
    found: Encouragement,
    *,
    goal_titles: dict[int, str | None],
    strategy_titles: dict[int, str | None],
) -> str:
    """The one line of encouragement, from the client's own data; never blaming."""
    _ = t._
    if found.kind == "trend_up" and found.goal_id is not None:
        return _(
            "Your ratings for “{goal}” have gone up lately — something is working.",
            goal=_title(goal_titles.get(found.goal_id)),
        )
    if found.kind == "strategy" and found.strategy_id is not None:
        return t.ngettext(
            "You did “{strategy}” {count} time in the last four weeks. That counts.",
            "You did “{strategy}” {count} times in the last four weeks. That counts.",
            found.count,
            strategy=_title(strategy_titles.get(found.strategy_id)),
        )
    if found.kind == "best_day" and found.goal_id is not None and found.day is not None:
        return _(
            "Your best day lately was {day}: {value}/10 for “{goal}”.",
            day=format_date(found.day, "d MMMM", locale=t.locale),
            value=found.value,
            goal=_title(goal_titles.get(found.goal_id)),
        )
    if found.kind == "showing_up":
        return t.ngettext(
            "You checked in on {count} day lately. Showing up is the hard part.",
            "You checked in on {count} days lately. Showing up is the hard part.",
            found.count,
        )
    if found.kind == "care":
        return _(
            "Whatever today is like, you don't have to carry it alone. "
            "/help shows where to find support, any time."
        )
    return _("Your first check-in will start this picture. /checkin whenever you're ready.")


def chart_labels(t: Translator) -> dict[str, str]:
    _ = t._
    return {
        "title": _("Your ratings, last 4 weeks"),
        "axis": _("Rating (0–10)"),
        "target": _("10: goal reached"),
    }
