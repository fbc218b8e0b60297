"""The shared AniList catalog: shows stored once, their episodes, and who sees them.

A catalog show is a `shows` row with no guild (its title the romaji one, else English,
else native; its description, image and link AniList's synopsis, cover and page) plus a
`catalog_media` row with the rest. Its releases have no guild either: a guild sees them
while one of its follows names the show.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.catalog import (
    CatalogMedia,
    FuzzyDate,
    MediaFormat,
    MediaStatus,
    StreamingLink,
    TitleLanguage,
    Titles,
)
from bot.domain.catalog_view import CatalogView
from bot.domain.models import Release, ReleaseStatus, ReleaseTime, Show
from bot.storage import settings
from bot.storage.convert import from_epoch, maybe_epoch, to_epoch
from bot.storage.database import Transaction
from bot.storage.releases import RELEASE_COLUMNS, release_from_row
from bot.storage.shows import title_key

_RELEASES = f"SELECT {RELEASE_COLUMNS} FROM releases r JOIN shows s ON s.id = r.show_id"


@dataclass(frozen=True, slots=True)
class CatalogShow:
    """A catalog show's place in the database and its sync state."""

    show: Show
    anilist_id: int
    #: When a guild first followed it: episodes aired before owe nothing.
    first_followed_at: datetime
    status: MediaStatus | None
    #: Finished or cancelled: no longer synced.
    sync_ended: bool


def search_key(media: CatalogMedia) -> str:
    """Every title and synonym, casefolded, one a line (what searches match)."""
    titles = (media.titles.romaji, media.titles.english, media.titles.native, *media.synonyms)
    return "\n".join(dict.fromkeys(title_key(t) for t in titles if t and t.strip()))


_SHOW_SELECT = """
    SELECT s.id AS show_id, s.title, s.description, s.image_url, s.link, c.anilist_id,
           c.first_followed_at, c.status, c.sync_ended_at
    FROM catalog_media c JOIN shows s ON s.id = c.show_id
"""


def _catalog_show(row: aiosqlite.Row) -> CatalogShow:
    return CatalogShow(
        show=Show(
            id=row["show_id"],
            guild_id=None,
            title=row["title"],
            description=row["description"],
            image_url=row["image_url"],
            link=row["link"],
        ),
        anilist_id=row["anilist_id"],
        first_followed_at=from_epoch(row["first_followed_at"]),
        status=None if row["status"] is None else MediaStatus(row["status"]),
        sync_ended=row["sync_ended_at"] is not None,
    )


async def shows_by_anilist_ids(
    tx: Transaction, anilist_ids: Iterable[int]
) -> dict[int, CatalogShow]:
    """Return the catalog shows with these AniList ids, by AniList id."""
    rows = await tx.fetchall(
        f"{_SHOW_SELECT} WHERE c.anilist_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(anilist_ids))),),
    )
    return {row["anilist_id"]: _catalog_show(row) for row in rows}


async def save_media(tx: Transaction, media: CatalogMedia, now: datetime) -> CatalogShow:
    """Store what AniList says of a show (importing it if new); return it as stored."""
    title = media.titles.pick(TitleLanguage.ROMAJI)
    existing = (await shows_by_anilist_ids(tx, [media.anilist_id])).get(media.anilist_id)
    if existing is None:
        show_id = await tx.insert(
            "INSERT INTO shows (guild_id, title, title_key, description, image_url, link, "
            "created_at) VALUES (NULL, ?, ?, ?, ?, ?, ?)",
            (
                title,
                title_key(title),
                media.synopsis,
                media.cover_url,
                media.site_url,
                to_epoch(now),
            ),
        )
    else:
        show_id = existing.show.id
        await tx.execute(
            "UPDATE shows SET title = ?, title_key = ?, description = ?, image_url = ?, link = ? "
            "WHERE id = ?",
            (title, title_key(title), media.synopsis, media.cover_url, media.site_url, show_id),
        )
    ended = media.status in (MediaStatus.FINISHED, MediaStatus.CANCELLED)
    start = media.start_date
    await tx.execute(
        """
        INSERT INTO catalog_media
            (show_id, anilist_id, mal_id, title_romaji, title_english, title_native, synonyms,
             search_key, cover_url, synopsis, site_url, format, status, episodes,
             duration_minutes, season, season_year, start_year, start_month, start_day,
             first_followed_at, synced_at, sync_ended_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (show_id) DO UPDATE SET
            mal_id = excluded.mal_id, title_romaji = excluded.title_romaji,
            title_english = excluded.title_english, title_native = excluded.title_native,
            synonyms = excluded.synonyms, search_key = excluded.search_key,
            cover_url = excluded.cover_url, synopsis = excluded.synopsis,
            site_url = excluded.site_url, format = excluded.format, status = excluded.status,
            episodes = excluded.episodes, duration_minutes = excluded.duration_minutes,
            season = excluded.season, season_year = excluded.season_year,
            start_year = excluded.start_year, start_month = excluded.start_month,
            start_day = excluded.start_day, synced_at = excluded.synced_at,
            sync_ended_at = coalesce(catalog_media.sync_ended_at, excluded.sync_ended_at)
        """,
        (
            show_id,
            media.anilist_id,
            media.mal_id,
            media.titles.romaji,
            media.titles.english,
            media.titles.native,
            json.dumps(list(media.synonyms), ensure_ascii=False),
            search_key(media),
            media.cover_url,
            media.synopsis,
            media.site_url,
            None if media.format is None else media.format.value,
            None if media.status is None else media.status.value,
            media.episodes,
            media.duration_minutes,
            media.season,
            media.season_year,
            start.year,
            start.month,
            start.day,
            to_epoch(now),
            to_epoch(now),
            to_epoch(now) if ended else None,
        ),
    )
    await tx.execute("DELETE FROM catalog_streaming_links WHERE show_id = ?", (show_id,))
    await tx.executemany(
        "INSERT INTO catalog_streaming_links (show_id, position, site, url) VALUES (?, ?, ?, ?)",
        [(show_id, i, link.site, link.url) for i, link in enumerate(media.streaming)],
    )
    return (await shows_by_anilist_ids(tx, [media.anilist_id]))[media.anilist_id]


async def synced_anilist_ids(tx: Transaction) -> list[int]:
    """AniList ids of the catalog shows some guild follows that are still to be synced."""
    rows = await tx.fetchall(
        """
        SELECT c.anilist_id FROM catalog_media c
        WHERE c.sync_ended_at IS NULL
          AND EXISTS (SELECT 1 FROM follows f WHERE f.show_id = c.show_id)
        ORDER BY c.anilist_id
        """
    )
    return [row[0] for row in rows]


async def media_of(tx: Transaction, show_ids: Iterable[int]) -> dict[int, CatalogMedia]:
    """Return what AniList said of these catalog shows, by show id."""
    wanted = json.dumps(sorted(set(show_ids)))
    rows = await tx.fetchall(
        "SELECT * FROM catalog_media WHERE show_id IN (SELECT value FROM json_each(?))",
        (wanted,),
    )
    links: dict[int, list[StreamingLink]] = defaultdict(list)
    for link in await tx.fetchall(
        "SELECT show_id, site, url FROM catalog_streaming_links "
        "WHERE show_id IN (SELECT value FROM json_each(?)) ORDER BY show_id, position",
        (wanted,),
    ):
        links[link["show_id"]].append(StreamingLink(link["site"], link["url"]))
    return {
        row["show_id"]: CatalogMedia(
            anilist_id=row["anilist_id"],
            titles=Titles(row["title_romaji"], row["title_english"], row["title_native"]),
            site_url=row["site_url"],
            is_adult=False,
            mal_id=row["mal_id"],
            synonyms=tuple(json.loads(row["synonyms"])),
            cover_url=row["cover_url"],
            synopsis=row["synopsis"],
            format=None if row["format"] is None else MediaFormat(row["format"]),
            status=None if row["status"] is None else MediaStatus(row["status"]),
            episodes=row["episodes"],
            duration_minutes=row["duration_minutes"],
            season=row["season"],
            season_year=row["season_year"],
            start_date=FuzzyDate(row["start_year"], row["start_month"], row["start_day"]),
            streaming=tuple(links.get(row["show_id"], ())),
        )
        for row in rows
    }


async def titles_of(tx: Transaction, show_ids: Iterable[int]) -> dict[int, Titles]:
    """Return the titles of these catalog shows (others are left out), by show id."""
    rows = await tx.fetchall(
        "SELECT show_id, title_romaji, title_english, title_native FROM catalog_media "
        "WHERE show_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(show_ids))),),
    )
    return {
        row["show_id"]: Titles(row["title_romaji"], row["title_english"], row["title_native"])
        for row in rows
    }


async def show_releases(tx: Transaction, show_id: int) -> dict[int | None, Release]:
    """Return a catalog show's releases (any status) by episode (None: the dated one)."""
    rows = await tx.fetchall(f"{_RELEASES} WHERE r.show_id = ? AND r.guild_id IS NULL", (show_id,))
    found = {}
    for row in rows:
        release = release_from_row(row)
        found[release.episode] = release
    return found


async def releases_of_shows(
    tx: Transaction, show_ids: Iterable[int]
) -> dict[int, dict[int | None, Release]]:
    """Return the releases (any status) of these catalog shows, by show and then by episode
    (None: the dated one), in one query; a show without releases maps to {}."""
    wanted = sorted(set(show_ids))
    # Driven by the list (CROSS JOIN keeps it outermost): a show's releases through its
    # index, never a walk of every catalog release through (guild_id IS NULL).
    rows = await tx.fetchall(
        f"""
        SELECT {RELEASE_COLUMNS}
        FROM json_each(?) AS wanted CROSS JOIN releases r ON r.show_id = wanted.value
        JOIN shows s ON s.id = r.show_id
        WHERE r.guild_id IS NULL
        """,
        (json.dumps(wanted),),
    )
    found: dict[int, dict[int | None, Release]] = {show_id: {} for show_id in wanted}
    for row in rows:
        release = release_from_row(row)
        found[release.show.id][release.episode] = release
    return found


async def mark_synced(tx: Transaction, show_ids: Iterable[int], now: datetime) -> None:
    """Note that AniList was asked about these shows now (and said nothing new)."""
    await tx.execute(
        "UPDATE catalog_media SET synced_at = ? WHERE show_id IN (SELECT value FROM json_each(?))",
        (to_epoch(now), json.dumps(sorted(set(show_ids)))),
    )


async def insert_release(
    tx: Transaction,
    show: Show,
    episode: int | None,
    label: str | None,
    time: ReleaseTime,
    status: ReleaseStatus,
    now: datetime,
) -> int:
    """Store a new catalog release; return its id."""
    return await tx.insert(
        """
        INSERT INTO releases
            (show_id, guild_id, label, starts_at, precision, timezone, status, episode,
             created_at, updated_at, revised_at)
        VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            show.id,
            label,
            maybe_epoch(time.at),
            time.precision.value,
            time.timezone,
            status.value,
            episode,
            to_epoch(now),
            to_epoch(now),
            to_epoch(now),
        ),
    )


async def set_episode(tx: Transaction, release_id: int, episode: int, label: str) -> None:
    """Give the dated release of a show its first airing's episode and label."""
    await tx.execute(
        "UPDATE releases SET episode = ?, label = ? WHERE id = ?", (episode, label, release_id)
    )


async def guilds_seeing(tx: Transaction, show_ids: Iterable[int]) -> dict[int, list[int]]:
    """Return, per catalog show, the guilds one of whose follows names it."""
    rows = await tx.fetchall(
        "SELECT DISTINCT show_id, guild_id FROM follows "
        "WHERE show_id IN (SELECT value FROM json_each(?)) ORDER BY show_id, guild_id",
        (json.dumps(sorted(set(show_ids))),),
    )
    found: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        found[row["show_id"]].append(row["guild_id"])
    return found


async def catalog_views(
    tx: Transaction, pairs: Iterable[tuple[Release, int]]
) -> dict[tuple[int, int], CatalogView]:
    """Return, per (catalog release, guild), what messages about it show in that guild.

    The releases are as stored (their own time and show); guild releases are left out.
    """
    wanted = [(release, guild_id) for release, guild_id in pairs if release.is_catalog]
    if not wanted:
        return {}
    media = await media_of(tx, {release.show.id for release, _ in wanted})
    guilds = {
        guild_id: await settings.guild_settings(tx, guild_id)
        for guild_id in {guild_id for _, guild_id in wanted}
    }
    views = {}
    for release, guild_id in wanted:
        show_media = media.get(release.show.id)
        if show_media is None:
            continue
        guild = guilds[guild_id]
        views[(release.id, guild_id)] = CatalogView(
            media=show_media,
            episode=release.episode,
            premiere=release.premiere,
            finale=release.finale,
            title_language=guild.title_language,
            delay=guild.delay_after,
            broadcast=release.time,
        )
    return views


async def catalog_view(tx: Transaction, release_id: int, guild_id: int) -> CatalogView | None:
    """Return what messages about a catalog release show in a guild (None: not catalog)."""
    row = await tx.fetchone(f"{_RELEASES} WHERE r.id = ?", (release_id,))
    if row is None:
        return None
    views = await catalog_views(tx, [(release_from_row(row), guild_id)])
    return views.get((release_id, guild_id))


#: The earliest a catalog release can still owe: its airing plus the longest delay.
LONGEST_DELAY = timedelta(hours=24)


async def search_media(tx: Transaction, text: str, limit: int = 25) -> list[CatalogMedia]:
    """Catalog shows one of whose titles or synonyms contains `text` (ignoring case),
    those starting with it first; the catalog is public AniList data, so every guild's
    `/anilist follow` may find any of it."""
    needle = title_key(text)
    if not needle:
        return []
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await tx.fetchall(
        r"""
        SELECT show_id FROM catalog_media
        WHERE search_key LIKE ? ESCAPE '\'
        ORDER BY instr(char(10) || search_key, char(10) || ?) = 0, anilist_id
        LIMIT ?
        """,
        (pattern, needle, limit),
    )
    ids = [row[0] for row in rows]
    found = await media_of(tx, ids)
    return [found[i] for i in ids if i in found]
