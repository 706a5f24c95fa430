"""Psychoeducation use cases (no Telegram types).

For the delivery engine (issue 4) and enrollment (issue 3), the seams are:

* :func:`bot.lessons.schedule.enroll` — put a client on a program (the default
  one, ``settings.default_program``, when they finish onboarding);
* :func:`bot.lessons.schedule.due_program_lessons` — in the tick: which lesson
  each enrolled client should get today (their local date, pauses honoured);
* :func:`bot.lessons.progress.deliver_lesson` — at send time: records the delivery
  (idempotently) and returns an :class:`~bot.lessons.messages.OutgoingMessage`
  (chat id, HTML text, ``reply_markup()`` JSON) to send with ``parse_mode=HTML``.
"""
