"""Shows and releases as one guild sees them: catalog titles in its language, catalog
times when it is told (its delay). Everything a guild reads goes through these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.domain.catalog_view import seen_release
from bot.domain.models import Follow, GuildSettings, Release, Show, Subscription
from bot.storage import catalog
from bot.storage.database import Transaction


async def seen_releases(
    tx: Transaction, guild: GuildSettings, releases: Sequence[Release]
) -> list[Release]:
    titles = await catalog.titles_of(tx, {r.show.id for r in releases if r.is_catalog})
    return [
        seen_release(r, titles.get(r.show.id), guild.title_language, guild.delay_after)
        for r in releases
    ]


async def seen_shows(tx: Transaction, guild: GuildSettings, shows: Sequence[Show]) -> list[Show]:
    titles = await catalog.titles_of(tx, {s.id for s in shows if s.guild_id is None})
    return [
        replace(s, title=titles[s.id].pick(guild.title_language)) if s.id in titles else s
        for s in shows
    ]


async def seen_show(tx: Transaction, guild: GuildSettings, show: Show) -> Show:
    return (await seen_shows(tx, guild, [show]))[0]


async def seen_follows(
    tx: Transaction, guild: GuildSettings, follows: Sequence[Follow]
) -> list[Follow]:
    titles = await catalog.titles_of(tx, {f.show_id for f in follows if f.show_id is not None})
    return [
        replace(f, show_title=titles[f.show_id].pick(guild.title_language))
        if f.show_id is not None and f.show_id in titles
        else f
        for f in follows
    ]


async def seen_subscriptions(
    tx: Transaction, guild: GuildSettings, subscriptions: Sequence[Subscription]
) -> list[Subscription]:
    titles = await catalog.titles_of(tx, {s.show_id for s in subscriptions})
    return [
        replace(s, show_title=titles[s.show_id].pick(guild.title_language))
        if s.show_id in titles
        else s
        for s in subscriptions
    ]
