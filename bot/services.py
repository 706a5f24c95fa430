"""What every handler may need, built once by the composition root (``bot/app.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.content.library import ContentLibrary
from bot.delivery.renderers import Renderers
from bot.domain.crisis import CrisisMatcher
from bot.domain.crisis_resources import CrisisResources
from bot.flood import FloodGuard
from bot.i18n import Catalogs
from bot.measures.model import Measure
from bot.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    content: ContentLibrary
    crisis: CrisisMatcher
    crisis_resources: CrisisResources
    # What each kind of scheduled or queued message says, filled in bot/app.py.
    renderers: Renderers = field(default_factory=Renderers)
    # Questionnaires by id (content/measures/), valid files only.
    measures: dict[str, Measure] = field(default_factory=dict)
    # Incoming updates per user (in memory, per instance; see bot/flood.py).
    flood: FloodGuard = field(default_factory=lambda: FloodGuard(20, 30.0))
