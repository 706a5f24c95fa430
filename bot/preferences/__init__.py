"""A person's preferences (language, time zone, check-in time, quiet hours): the
questions that set them, as step objects shared by onboarding and /settings
(:mod:`bot.preferences.steps`), and how a choice reads (:mod:`bot.preferences.labels`).

No ``telegram`` import here: the flows turn a step's plain prompt into a message.
"""
