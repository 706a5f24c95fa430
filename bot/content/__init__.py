"""Content written by people: psychoeducation lessons and programs (no Telegram types).

Lessons live in ``content/psychoeducation/<locale>/<slug>.md``, programs in
``content/programs/<id>.yaml``; :mod:`bot.content.library` loads and validates
both, :mod:`bot.content.telegram_html` renders a lesson's Markdown to the HTML
Telegram accepts, and :mod:`bot.content.pages` splits it into pages.
"""
