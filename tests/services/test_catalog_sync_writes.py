"""What a sync writes when AniList changed a show, and when it did not; and searching the
catalog (what `/anilist follow` autocomplete offers before asking AniList)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.catalog import CatalogMedia, FuzzyDate, StreamingLink, Titles
from bot.domain.models import Show
from bot.storage import catalog
from tests.services.test_catalog import (
    ANILIST_ID,
    NOW,
    OSHI,
    D,
    World,
    epoch,
    follow,
    outbox,
    release_rows,
    world,
)

__all__ = ["world"]  # the fixture, used by name


async def stored(world: World) -> tuple[CatalogMedia, Show, int]:
    """What the catalog holds of the show: its media, its shows row, and when it was synced."""
    async with world.db.snapshot() as tx:
        show = (await catalog.shows_by_anilist_ids(tx, [ANILIST_ID]))[ANILIST_ID]
        media = (await catalog.media_of(tx, [show.show.id]))[show.show.id]
        row = await tx.fetchone(
            "SELECT synced_at FROM catalog_media WHERE show_id = ?", (show.show.id,)
        )
    assert row is not None
    return media, show.show, int(row[0])


async def test_a_sync_stores_what_anilist_changed_of_a_show(world: World) -> None:
    await follow(world)
    renamed = replace(
        OSHI,
        titles=Titles("Oshi no Ko 2", "My Star 2", "推しの子2"),
        synopsis="A new synopsis.",
        cover_url="https://example.org/new.jpg",
        streaming=(StreamingLink("HIDIVE", "https://hidive.com/oshi"),),
    )
    await world.catalog.apply_media([renamed], NOW + D)
    media, show, synced_at = await stored(world)
    assert media == renamed
    assert (show.title, show.description, show.image_url) == (
        "Oshi no Ko 2",
        "A new synopsis.",
        "https://example.org/new.jpg",
    )
    assert synced_at == epoch(NOW + D)


async def test_a_sync_that_finds_a_show_unchanged_rewrites_nothing_but_when_it_was_synced(
    world: World,
) -> None:
    await follow(world)
    before_media, before_show, _ = await stored(world)
    rows, owed = await release_rows(world), await outbox(world, None)
    await world.catalog.apply_media([OSHI], NOW + D)
    media, show, synced_at = await stored(world)
    assert (media, show) == (before_media, before_show)
    assert synced_at == epoch(NOW + D)
    assert (await release_rows(world), await outbox(world, None)) == (rows, owed)


async def test_a_new_start_date_moves_the_dated_release_in_a_batch_with_unchanged_shows(
    world: World,
) -> None:
    # An announced show (no airings: one release from its start date) next to one that
    # did not change, in the same batch: the unchanged one is skipped, the other moves.
    other = replace(OSHI, anilist_id=ANILIST_ID + 1, site_url="https://anilist.co/anime/2")
    await world.catalog.follow(1001, OSHI, (), None, None, True, NOW)
    await world.catalog.follow(1001, other, (), None, None, True, NOW)
    later = replace(OSHI, start_date=FuzzyDate(2024, 9))
    await world.catalog.apply_media([later, other], NOW)
    rows = await release_rows(world)
    assert sorted((r[3], r[5]) for r in rows) == [("day", 1), ("month", 2)]


async def test_the_catalog_is_searched_by_every_title_and_synonym(world: World) -> None:
    await follow(world)
    other = replace(
        OSHI,
        anilist_id=ANILIST_ID + 1,
        titles=Titles("Sousou no Frieren", "Frieren: Beyond Journey's End"),
        synonyms=("100%_Frieren",),
        site_url="https://anilist.co/anime/2",
    )
    await world.catalog.follow(1001, other, (), None, None, True, NOW)

    async def found(typed: str) -> list[int]:
        return [m.anilist_id for m in await world.catalog.search(typed)]

    assert await found("OSHI  no") == [ANILIST_ID]  # case and spacing ignored
    assert await found("推しの子") == [ANILIST_ID]  # the native title
    assert await found("onk s2") == [ANILIST_ID]  # a synonym
    assert await found("journey") == [ANILIST_ID + 1]  # the English title
    # Titles that start with the text first, then by AniList id.
    assert await found("no") == [ANILIST_ID, ANILIST_ID + 1]
    assert await found("s") == [ANILIST_ID + 1, ANILIST_ID]
    # LIKE's wildcards are taken literally: "%_" matches only the synonym that holds them.
    assert await found("100%_") == [ANILIST_ID + 1]
    assert await found("0%_f") == [ANILIST_ID + 1]
    assert await found("o%o") == []
    assert await found("no such show") == []
    assert await found("  ") == []
