"""The callback context every handler receives: services, the user's record, their language."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.db.models import User
from bot.i18n import Translator
from bot.services import Services

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB creates one context per update and shares it across handler groups,
    so what the first (negative) group resolves is seen by the handler that answers."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.user_record: User | None = None
        self._translator: Translator | None = None
        # Set by the middleware: this user is sending faster than FLOOD_PER_MINUTE.
        self.flooding = False

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def t(self) -> Translator:
        """The translator for this update's user (the default locale until resolved)."""
        if self._translator is None:
            return self.services.catalogs.translator(None)
        return self._translator

    def use_locale(self, locale: str) -> None:
        self._translator = self.services.catalogs.translator(locale)
