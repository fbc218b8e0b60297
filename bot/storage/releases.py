"""Shows and releases: the catalog a guild sees."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.storage.convert import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.database import Transaction

#: Words of a search beyond this many are ignored (each adds a condition to the query).
MAX_SEARCH_WORDS = 6

_RELEASE_COLUMNS = """
    r.id, r.label, r.starts_at, r.precision, r.timezone, r.status, r.revision,
    s.id AS show_id, s.guild_id AS show_guild_id, s.title, s.description, s.image_url, s.link
"""


def _release(row: aiosqlite.Row) -> Release:
    show = Show(
        id=row["show_id"],
        guild_id=row["show_guild_id"],
        title=row["title"],
        description=row["description"],
        image_url=row["image_url"],
        link=row["link"],
    )
    time = ReleaseTime(
        at=maybe_datetime(row["starts_at"]),
        precision=Precision(row["precision"]),
        timezone=row["timezone"],
    )
    return Release(
        id=row["id"],
        show=show,
        label=row["label"],
        time=time,
        status=ReleaseStatus(row["status"]),
        revision=row["revision"],
    )


def _like_pattern(typed: str) -> str:
    """A LIKE pattern matching titles that contain `typed`, its wildcards taken literally."""
    escaped = typed.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def title_key(title: str) -> str:
    """Return the form of a title used to match it regardless of case and spacing."""
    return " ".join(title.casefold().split())


async def find_or_create_show(tx: Transaction, guild_id: int, title: str, now: datetime) -> Show:
    """Return the guild's show with this title, creating it if it is new."""
    row = await tx.fetchone(
        """
        SELECT id, guild_id, title, description, image_url, link
        FROM shows WHERE guild_id = ? AND title_key = ?
        """,
        (guild_id, title_key(title)),
    )
    if row is None:
        show_id = await tx.insert(
            "INSERT INTO shows (guild_id, title, title_key, created_at) VALUES (?, ?, ?, ?)",
            (guild_id, title, title_key(title), to_epoch(now)),
        )
        return Show(id=show_id, guild_id=guild_id, title=title)
    return _show(row)


async def update_show(tx: Transaction, show: Show) -> None:
    """Store the show's title, description, image and link."""
    await tx.execute(
        """
        UPDATE shows SET title = ?, title_key = ?, description = ?, image_url = ?, link = ?
        WHERE id = ?
        """,
        (show.title, title_key(show.title), show.description, show.image_url, show.link, show.id),
    )


async def title_taken(tx: Transaction, guild_id: int, title: str, except_show_id: int) -> bool:
    row = await tx.fetchone(
        "SELECT 1 FROM shows WHERE guild_id = ? AND title_key = ? AND id != ?",
        (guild_id, title_key(title), except_show_id),
    )
    return row is not None


async def insert_release(
    tx: Transaction, show: Show, label: str | None, time: ReleaseTime, now: datetime
) -> Release:
    if show.guild_id is None:
        raise ValueError("a guild can only add releases to its own shows")
    release_id = await tx.insert(
        """
        INSERT INTO releases
            (show_id, guild_id, label, starts_at, precision, timezone, created_at, updated_at,
             revised_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            show.id,
            show.guild_id,
            label,
            maybe_epoch(time.at),
            time.precision.value,
            time.timezone,
            to_epoch(now),
            to_epoch(now),
            to_epoch(now),
        ),
    )
    return Release(release_id, show, label, time, ReleaseStatus.SCHEDULED, revision=1)


async def save_release(tx: Transaction, release: Release, now: datetime) -> None:
    """Store the release's label, time, status and revision (a new one: when it was set)."""
    await tx.execute(
        """
        UPDATE releases
        SET label = ?, starts_at = ?, precision = ?, timezone = ?, status = ?, revision = ?,
            updated_at = ?, revised_at = CASE WHEN revision != ? THEN ? ELSE revised_at END
        WHERE id = ?
        """,
        (
            release.label,
            maybe_epoch(release.time.at),
            release.time.precision.value,
            release.time.timezone,
            release.status.value,
            release.revision,
            to_epoch(now),
            release.revision,
            to_epoch(now),
            release.id,
        ),
    )


async def set_status(tx: Transaction, release_id: int, status: ReleaseStatus) -> None:
    await tx.execute("UPDATE releases SET status = ? WHERE id = ?", (status.value, release_id))


async def mark_released(tx: Transaction, release_id: int, revision: int) -> None:
    """Mark a release out, only while it is still that revision and not cancelled."""
    await tx.execute(
        "UPDATE releases SET status = 'released' "
        "WHERE id = ? AND revision = ? AND status IN ('scheduled', 'delayed')",
        (release_id, revision),
    )


async def revised_at(tx: Transaction, release_ids: Iterable[int]) -> dict[int, datetime]:
    """Return when each release's current time was set."""
    rows = await tx.fetchall(
        "SELECT id, revised_at, updated_at FROM releases "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(release_ids))),),
    )
    return {row["id"]: from_epoch(row["revised_at"] or row["updated_at"]) for row in rows}


async def live_release_ids(
    tx: Transaction, guild_id: int, since: datetime, show_id: int | None = None
) -> list[int]:
    """Return the guild's releases (of one show, if given) that may still owe messages:
    not cancelled, and dated from `since` on or not dated yet."""
    rows = await tx.fetchall(
        """
        SELECT id FROM releases
        WHERE guild_id = ? AND status != 'cancelled' AND starts_at >= ?
          AND (? IS NULL OR show_id = ?)
        UNION ALL
        SELECT id FROM releases
        WHERE guild_id = ? AND status != 'cancelled' AND starts_at IS NULL
          AND (? IS NULL OR show_id = ?)
        """,
        (guild_id, to_epoch(since), show_id, show_id, guild_id, show_id, show_id),
    )
    return [row["id"] for row in rows]


async def guild_release(tx: Transaction, guild_id: int, release_id: int) -> Release | None:
    """Return a live (not cancelled) release the guild owns, or None."""
    row = await tx.fetchone(
        f"""
        SELECT {_RELEASE_COLUMNS}
        FROM releases r JOIN shows s ON s.id = r.show_id
        WHERE r.id = ? AND r.guild_id = ? AND r.status != 'cancelled'
        """,
        (release_id, guild_id),
    )
    return None if row is None else _release(row)


async def release_by_id(tx: Transaction, release_id: int) -> Release | None:
    row = await tx.fetchone(
        f"""
        SELECT {_RELEASE_COLUMNS}
        FROM releases r JOIN shows s ON s.id = r.show_id
        WHERE r.id = ?
        """,
        (release_id,),
    )
    return None if row is None else _release(row)


async def releases_by_ids(tx: Transaction, release_ids: Iterable[int]) -> dict[int, Release]:
    """Return the releases with these ids (any guild, any status), in one query."""
    wanted = sorted(set(release_ids))
    if not wanted:
        return {}
    rows = await tx.fetchall(
        f"""
        SELECT {_RELEASE_COLUMNS}
        FROM releases r JOIN shows s ON s.id = r.show_id
        WHERE r.id IN (SELECT value FROM json_each(?))
        """,
        (json.dumps(wanted),),
    )
    return {row["id"]: _release(row) for row in rows}


async def releases_titled(tx: Transaction, guild_id: int, typed: str) -> list[Release]:
    """Return the guild's live releases whose 'Show — Label' or show title is `typed`."""
    # A show's own title may contain " — ", so every split point names a candidate show.
    parts = typed.split(" — ")
    show_keys = sorted({title_key(" — ".join(parts[:i])) for i in range(1, len(parts) + 1)})
    marks = ", ".join("?" for _ in show_keys)
    rows = await tx.fetchall(
        f"""
        SELECT {_RELEASE_COLUMNS}
        FROM releases r JOIN shows s ON s.id = r.show_id
        WHERE r.guild_id = ? AND r.status != 'cancelled' AND s.title_key IN ({marks})
        LIMIT 50
        """,
        (guild_id, *show_keys),
    )
    wanted = title_key(typed)
    releases = [_release(row) for row in rows]
    exact = [r for r in releases if title_key(r.display_title) == wanted]
    return exact or [r for r in releases if title_key(r.show.title) == wanted]


#: A word found in at most this many releases is looked up through the indexes; a word
#: that common is instead found by walking the guild's releases in display order.
SELECTIVE_RELEASES = 10_000
#: Distinct labels a guild may have for labels to be matched from the list of them.
MAX_DISTINCT_LABELS = 2_000
#: Title-index searches need this many characters (one trigram).
TRIGRAM = 3

_DISPLAY_ORDER = "(r.starts_at IS NULL), (r.starts_at < ?), r.starts_at, r.id"


async def search_releases(
    tx: Transaction, guild_id: int, typed: str, now: datetime, limit: int = 25
) -> list[Release]:
    """Return the guild's live releases matching every word typed, soonest upcoming first.

    Each word may match the show's title or the release's label, so "one piece ep 5" finds
    "One Piece — Episode 5". A word few releases match is looked up through the title
    trigram index and the guild's label list; when every word is common, the releases are
    walked in display order, which then finds `limit` matches after a short walk.
    """
    words = [w for w in typed.split() if w not in ("—", "-")][:MAX_SEARCH_WORDS] or [""]
    labels = await _distinct_labels(tx, guild_id)
    keys = [w.casefold() for w in words]
    selective = await _selective_candidates(tx, guild_id, keys, labels)
    if selective is not None:
        # The candidates match the rare word by construction; check only the others.
        rare, candidates = selective
        words = [w for w in words if w.casefold() != rare]
    if labels is None:
        label_test = "casefold(coalesce(r.label, '')) LIKE ? ESCAPE '\\'"
        label_params = [_like_pattern(word) for word in words]
    else:
        # The guild's few labels were matched in Python: a set lookup per row, not a call.
        label_test = "r.label IN (SELECT value FROM json_each(?))"
        label_params = [
            json.dumps([label for label in labels if word.casefold() in label.casefold()])
            for word in words
        ]
    word_filter = " AND ".join(
        [f"(s.title_key LIKE ? ESCAPE '\\' OR {label_test})" for _ in words] or ["1"]
    )
    patterns = [
        value
        for word, label_param in zip(words, label_params, strict=True)
        for value in (_like_pattern(word), label_param)
    ]
    if selective is not None:
        rows = await tx.fetchall(
            f"""
            SELECT {_RELEASE_COLUMNS}
            FROM releases r JOIN shows s ON s.id = r.show_id
            WHERE r.id IN (SELECT value FROM json_each(?))
              AND +r.guild_id = ? AND +r.status != 'cancelled' AND {word_filter}
            ORDER BY {_DISPLAY_ORDER}
            LIMIT ?
            """,
            (json.dumps(candidates), guild_id, *patterns, to_epoch(now), limit),
        )
        return [_release(row) for row in rows]
    # Upcoming soonest first, then past ones, then undated: each walk stops at `limit`.
    found: list[Release] = []
    for segment, order in (
        ("r.starts_at >= ?", "r.starts_at, r.id"),
        ("r.starts_at < ?", "r.starts_at, r.id"),
        ("r.starts_at IS NULL AND ? IS NOT NULL", "r.id"),
    ):
        rows = await tx.fetchall(
            f"""
            SELECT {_RELEASE_COLUMNS}
            FROM releases r JOIN shows s ON s.id = r.show_id
            WHERE r.guild_id = ? AND r.status != 'cancelled' AND {segment} AND {word_filter}
            ORDER BY {order}
            LIMIT ?
            """,
            (guild_id, to_epoch(now), *patterns, limit - len(found)),
        )
        found += [_release(row) for row in rows]
        if len(found) >= limit:
            break
    return found


async def _selective_candidates(
    tx: Transaction, guild_id: int, keys: list[str], labels: list[str] | None
) -> tuple[str, list[int]] | None:
    """Return a rare word and the ids of every release it matches, or None if none is rare.

    The ids are a superset of the answer (the other words are not checked yet), bounded by
    SELECTIVE_RELEASES (counted with repeats: a release can match by title and label).
    """
    if "" in keys or labels is None:
        return None
    folded = [(label, label.casefold()) for label in labels]
    for key in sorted(set(keys), key=len, reverse=True):
        if len(key) >= TRIGRAM:
            shows_sql = "SELECT rowid FROM shows_title_trigrams WHERE shows_title_trigrams MATCH ?"
            shows_params: tuple[object, ...] = ('"' + key.replace('"', '""') + '"',)
        else:
            shows_sql = "SELECT id FROM shows WHERE guild_id = ? AND title_key LIKE ? ESCAPE '\\'"
            shows_params = (guild_id, _like_pattern(key))
        shows = await tx.fetchall(f"{shows_sql} LIMIT ?", (*shows_params, SELECTIVE_RELEASES + 1))
        if len(shows) > SELECTIVE_RELEASES:
            continue
        matching_labels = [label for label, fold in folded if key in fold]
        rows = await tx.fetchall(
            """
            SELECT id FROM releases
            WHERE show_id IN (SELECT value FROM json_each(?))
              AND +guild_id = ? AND +status != 'cancelled'
            UNION ALL
            SELECT id FROM releases
            WHERE guild_id = ? AND status != 'cancelled'
              AND label IN (SELECT value FROM json_each(?))
            LIMIT ?
            """,
            (
                json.dumps([row[0] for row in shows]),
                guild_id,
                guild_id,
                json.dumps(matching_labels),
                SELECTIVE_RELEASES + 1,
            ),
        )
        if len(rows) <= SELECTIVE_RELEASES:
            return key, sorted({row[0] for row in rows})
    return None


async def _distinct_labels(tx: Transaction, guild_id: int) -> list[str] | None:
    """Return the labels of the guild's live releases, or None if there are too many.

    One index seek per distinct label, however many releases share it.
    """
    rows = await tx.fetchall(
        """
        WITH RECURSIVE seen(label) AS (
            SELECT (SELECT min(label) FROM releases
                    WHERE guild_id = ? AND status != 'cancelled' AND label IS NOT NULL)
            UNION ALL
            SELECT (SELECT min(label) FROM releases
                    WHERE guild_id = ? AND status != 'cancelled' AND label > seen.label)
            FROM seen WHERE seen.label IS NOT NULL
            LIMIT ?
        )
        SELECT label FROM seen WHERE label IS NOT NULL
        """,
        (guild_id, guild_id, MAX_DISTINCT_LABELS + 2),
    )
    if len(rows) > MAX_DISTINCT_LABELS:
        return None
    return [row[0] for row in rows]


async def upcoming_releases(
    tx: Transaction, guild_id: int, start: datetime, end: datetime, limit: int
) -> list[Release]:
    """Return the guild's live dated releases starting in [start, end], soonest first."""
    rows = await tx.fetchall(
        f"""
        SELECT {_RELEASE_COLUMNS}
        FROM releases r JOIN shows s ON s.id = r.show_id
        WHERE r.guild_id = ? AND r.status != 'cancelled'
          AND +r.status IN ('scheduled', 'delayed') AND r.starts_at BETWEEN ? AND ?
        ORDER BY r.starts_at, r.id
        LIMIT ?
        """,
        (guild_id, to_epoch(start), to_epoch(end), limit),
    )
    return [_release(row) for row in rows]


async def scheduled_releases(tx: Transaction, guild_id: int, now: datetime) -> list[Release]:
    """Return the guild's releases that still have reminders or an announcement ahead."""
    rows = await tx.fetchall(
        f"""
        SELECT {_RELEASE_COLUMNS}
        FROM releases r JOIN shows s ON s.id = r.show_id
        WHERE r.guild_id = ? AND r.status IN ('scheduled', 'delayed')
          AND r.precision IN ('exact', 'day') AND r.starts_at > ?
        ORDER BY r.starts_at
        """,
        (guild_id, to_epoch(now)),
    )
    return [_release(row) for row in rows]


async def guild_show(tx: Transaction, guild_id: int, show_id: int) -> Show | None:
    row = await tx.fetchone(
        "SELECT id, guild_id, title, description, image_url, link FROM shows "
        "WHERE id = ? AND guild_id = ?",
        (show_id, guild_id),
    )
    return None if row is None else _show(row)


async def shows_titled(tx: Transaction, guild_id: int, typed: str) -> list[Show]:
    rows = await tx.fetchall(
        "SELECT id, guild_id, title, description, image_url, link FROM shows "
        "WHERE guild_id = ? AND title_key = ?",
        (guild_id, title_key(typed)),
    )
    return [_show(row) for row in rows]


async def search_shows(tx: Transaction, guild_id: int, typed: str, limit: int = 25) -> list[Show]:
    """Return the guild's shows whose title contains `typed`, alphabetically."""
    rows = await tx.fetchall(
        """
        SELECT id, guild_id, title, description, image_url, link FROM shows
        WHERE guild_id = ? AND title_key LIKE ? ESCAPE '\\'
        ORDER BY title_key LIMIT ?
        """,
        (guild_id, _like_pattern(typed), limit),
    )
    return [_show(row) for row in rows]


def _show(row: aiosqlite.Row) -> Show:
    return Show(
        id=row["id"],
        guild_id=row["guild_id"],
        title=row["title"],
        description=row["description"],
        image_url=row["image_url"],
        link=row["link"],
    )
