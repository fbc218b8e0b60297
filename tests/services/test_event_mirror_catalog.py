"""Catalog releases are mirrored like a guild's own: as the guild sees them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.domain.catalog import Airing, TitleLanguage
from bot.domain.scheduled_events import MirrorSetting
from bot.services.catalog import CatalogService
from bot.services.changes import Changes
from bot.services.event_mirror import EventMirror
from bot.storage import scheduled_events as event_store
from bot.storage import settings
from bot.storage.convert import to_epoch
from bot.storage.database import Database
from tests.properties.test_event_mirror import FakeDiscord
from tests.services.test_catalog import ANILIST_ID, CHANNEL, EP1, GUILD, NOW, OSHI, OTHER_GUILD

FINALE = EP1 + timedelta(weeks=12)


async def test_a_followed_shows_premiere_and_finale_become_events_as_the_guild_sees_them(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "airdate.db")
    try:
        changes = Changes(database, lambda: NOW, lambda guild_id: None)
        async with database.transaction() as tx:
            for guild_id in (GUILD, OTHER_GUILD):
                await event_store.save_mirror_setting(tx, MirrorSetting(guild_id, True), NOW)
            guild = await settings.guild_settings(tx, GUILD)
            seen = replace(
                guild,
                channel_id=CHANNEL,
                title_language=TitleLanguage.ENGLISH,
                delay_after=timedelta(hours=1),
            )
            await settings.save_guild_settings(tx, seen, NOW)
        airings = [
            Airing(ANILIST_ID, 1, to_epoch(EP1)),  # the premiere
            Airing(ANILIST_ID, 2, to_epoch(EP1 + timedelta(weeks=1))),  # a regular episode
            Airing(ANILIST_ID, 13, to_epoch(FINALE)),  # the finale (13 episodes)
        ]
        await CatalogService(changes).follow(GUILD, OSHI, airings, None, None, True, NOW)
        discord = FakeDiscord()
        mirror = EventMirror(changes, discord, lambda: NOW, limit=20, lease=timedelta(seconds=30))
        await mirror.sync_guild(GUILD)
        await mirror.sync_guild(OTHER_GUILD)  # follows nothing: the control sees no event
        hour = timedelta(hours=1)
        assert discord.live() == [
            ("Oshi no Ko Season 2 — Episode 1", EP1 + hour),
            ("Oshi no Ko Season 2 — Episode 13", FINALE + hour),
        ]
        async with database.snapshot() as tx:
            rows = await event_store.guild_rows(tx, GUILD)
        assert {r.row.spec.ends_at - r.row.spec.starts_at for r in rows} == {timedelta(minutes=24)}
        # The catalog's cover is the events' cover.
        assert {r.row.spec.image_url for r in rows} == {OSHI.cover_url}
    finally:
        await database.close()
