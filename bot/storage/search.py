"""Searches as a user types: the releases and shows whose titles (and labels) match.

Reads shows and releases through indexes built for it (migrations 0003 and 0006); stores
nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.models import Release, Show
from bot.storage import releases
from bot.storage.convert import to_epoch
from bot.storage.database import Transaction
from bot.storage.shows import SHOW_COLUMNS, show_from_row

#: Words of a search beyond this many are ignored (each adds a condition to the query).
MAX_SEARCH_WORDS = 6


#: Distinct labels a guild may have for labels to be matched from the list of them.
MAX_DISTINCT_LABELS = 2_000
#: Rows of each part of the display order a search walks first: most releases match a
#: query of common words, and the first rows then hold the answer.
PROBE_ROWS = 200
#: Rows of each part of the display order a search then walks testing only show and
#: label, before it fetches the matching releases through their shows or labels.
SET_WALK_ROWS = 10_000
#: Shows few enough that their releases are fetched at once, without that walk (a
#: group of some labels only counts that share of its shows).
FEW_SHOWS = 300
#: A group of words matching more shows than this is tested title by title in the walk
#: instead of fetching its shows from the title index.
SHOW_SET_CAP = 3_000
#: Releases few enough to fetch through their shows (reading one index) and sort.
LOOKUP_BY_SHOWS = 10_000
#: Releases few enough to fetch through their labels (reading each row) and sort.
LOOKUP_BY_LABELS = 1_500
#: Trigrams a word of one or two characters may start for it to be looked up in the
#: title index (a common letter starts hundreds: it is tested title by title).
MAX_SHORT_TERMS = 60
#: Title-index searches need this many characters (one trigram).
TRIGRAM = 3

#: The three parts of the display order: upcoming soonest first, then past ones, then
#: undated; each is one range of the index releases_live_by_guild_start.
_SEGMENTS = (
    ("w.starts_at >= ?", "w.starts_at, w.id", "(w.starts_at, w.id) < (?, ?)"),
    ("w.starts_at < ?", "w.starts_at, w.id", "(w.starts_at, w.id) < (?, ?)"),
    ("w.starts_at IS NULL AND ? IS NOT NULL", "w.id", "w.id < ? AND ? IS NOT NULL"),
)


@dataclass(frozen=True)
class _Filter:
    """A condition on a release `w` (show_id, label) and, if `titles`, its show `s`."""

    sql: str
    params: tuple[object, ...]
    titles: bool


@dataclass
class _Group:
    """The releases whose label contains exactly the same typed words.

    A release matches the search if its show's title contains the words its label does not.
    """

    labels: list[str]
    unlabelled: bool
    title_keys: list[str]
    #: The shows whose title holds every title key (any guild's), or None: too many to list.
    shows: list[int] | None = None

    def label_sql(self, column: str) -> tuple[str, tuple[object, ...]]:
        test = f"{column} IN (SELECT value FROM json_each(?))"
        if self.unlabelled:
            test = f"({test} OR {column} IS NULL)"
        return test, (json.dumps(self.labels),)


async def search_releases(
    tx: Transaction, guild_id: int, typed: str, now: datetime, limit: int = 25
) -> list[Release]:
    """Return the guild's live releases matching every word typed, soonest upcoming first.

    Each word may match the show's title or the release's label, so "one piece ep 5" finds
    "One Piece — Episode 5". Common words are answered by the first rows of the display
    order. Otherwise the releases are grouped by which words their label holds; each
    group's shows come from the title index with all its other words at once (so words
    common alone but rare together cost what they match). The display order is walked
    again testing show and label from one index; if the matches are too sparse for that,
    and every group holds few releases, they are fetched through their shows or labels
    and sorted, else the walk goes on to the end.
    """
    words = [w for w in typed.split() if w not in ("—", "-")][:MAX_SEARCH_WORDS] or [""]
    keys = list(dict.fromkeys(word.casefold() for word in words))
    own = await _search_own_releases(tx, guild_id, keys, now, limit)
    catalog = await _search_catalog_releases(tx, guild_id, keys, now, limit)
    if not catalog:
        return own

    def order(release: Release) -> tuple[bool, bool, int, int]:
        at = release.time.at
        epoch = 0 if at is None else to_epoch(at)
        return (at is None, at is not None and at < now, epoch, release.id)

    return sorted([*own, *catalog], key=order)[:limit]


async def _search_catalog_releases(
    tx: Transaction, guild_id: int, keys: list[str], now: datetime, limit: int
) -> list[Release]:
    """The live releases of the catalog shows the guild follows matching every word (in
    any of the show's titles and synonyms, or in the label), in display order.

    A guild follows few catalog shows: they are tested one by one.
    """
    tests = " AND ".join(
        "(instr(c.search_key, ?) > 0 OR instr(casefold(coalesce(r.label, '')), ?) > 0)"
        for key in keys
        if key
    )
    params = [part for key in keys if key for part in (key, key)]
    rows = await tx.fetchall(
        f"""
        SELECT r.id FROM releases r JOIN catalog_media c ON c.show_id = r.show_id
        WHERE r.show_id IN (SELECT f.show_id FROM follows f WHERE f.guild_id = ?)
          AND r.guild_id IS NULL AND r.status != 'cancelled' AND ({tests or "1"})
        ORDER BY (r.starts_at IS NULL), (r.starts_at < ?), r.starts_at, r.id
        LIMIT ?
        """,
        (guild_id, *params, to_epoch(now), limit),
    )
    return await _releases_in_order(tx, [row[0] for row in rows])


async def _search_own_releases(
    tx: Transaction, guild_id: int, keys: list[str], now: datetime, limit: int
) -> list[Release]:
    """The guild's own releases matching every word (see `search_releases`)."""
    labels = await _distinct_labels(tx, guild_id)
    every_word = _words_filter(keys, labels)
    if keys == [""] or labels is None:
        ids, _ = await _walk(tx, guild_id, now, limit, every_word, budget=None)
        return await _releases_in_order(tx, ids)
    ids, complete = await _walk(tx, guild_id, now, limit, every_word, budget=PROBE_ROWS)
    if complete:
        return await _releases_in_order(tx, ids)
    groups = []
    titles = _TitleIndex(tx)
    for group in _label_groups(keys, labels):
        if group.title_keys:
            group.shows = await titles.shows(group.title_keys)
            if group.shows == []:
                continue
        groups.append(group)
    in_groups = _groups_filter(groups)
    if not in_groups.titles and _weight(groups, labels) > FEW_SHOWS:
        # Testing show and label reads one index: a longer walk is still quick.
        ids, complete = await _walk(tx, guild_id, now, limit, in_groups, budget=SET_WALK_ROWS)
        if complete:
            return await _releases_in_order(tx, ids)
    found = await _lookup(tx, guild_id, groups, now, limit)
    if found is None:
        found, _ = await _walk(tx, guild_id, now, limit, in_groups, budget=None)
    return await _releases_in_order(tx, found)


def _weight(groups: list[_Group], labels: list[str]) -> float:
    """Roughly how many shows' worth of releases the groups hold: a group of a few of the
    guild's labels holds that share of its shows' releases."""
    return sum(
        len(group.shows or [])
        * (1 if group.unlabelled else len(group.labels) / max(1, len(labels)))
        for group in groups
    )


def _words_filter(keys: list[str], labels: list[str] | None) -> _Filter:
    """Every word in the show's title or the release's label."""
    tests: list[str] = []
    params: list[object] = []
    for key in keys:
        if not key:
            continue
        if labels is None:
            tests.append(
                "(instr(s.title_key, ?) > 0 OR instr(casefold(coalesce(w.label, '')), ?) > 0)"
            )
            params += [key, key]
        else:
            # The guild's few labels were matched in Python: a set lookup per row, not a call.
            tests.append(
                "(instr(s.title_key, ?) > 0 OR w.label IN (SELECT value FROM json_each(?)))"
            )
            params += [key, json.dumps([label for label in labels if key in label.casefold()])]
    return _Filter(" AND ".join(tests) or "1", tuple(params), titles=bool(tests))


def _label_groups(keys: list[str], labels: list[str]) -> list[_Group]:
    """Group the guild's labels by which typed words they hold (unlabelled: none)."""
    groups: dict[frozenset[str], _Group] = {
        frozenset(): _Group(labels=[], unlabelled=True, title_keys=list(keys))
    }
    for label in labels:
        folded = label.casefold()
        held = frozenset(key for key in keys if key in folded)
        group = groups.setdefault(
            held, _Group([], unlabelled=False, title_keys=[k for k in keys if k not in held])
        )
        group.labels.append(label)
    return list(groups.values())


def _groups_filter(groups: list[_Group]) -> _Filter:
    """A release in any group: its label in the group's, its show in the group's shows."""
    tests: list[str] = []
    params: list[object] = []
    titles = False
    for group in groups:
        label_test, label_params = group.label_sql("w.label")
        parts, part_params = [label_test], list(label_params)
        if group.title_keys and group.shows is None:
            parts += ["instr(s.title_key, ?) > 0" for _ in group.title_keys]
            part_params += group.title_keys
            titles = True
        elif group.title_keys:
            parts.append("w.show_id IN (SELECT value FROM json_each(?))")
            part_params.append(json.dumps(group.shows))
        tests.append("(" + " AND ".join(parts) + ")")
        params += part_params
    return _Filter(" OR ".join(tests) or "0", tuple(params), titles)


async def _walk(
    tx: Transaction,
    guild_id: int,
    now: datetime,
    limit: int,
    where: _Filter,
    *,
    budget: int | None,
) -> tuple[list[int], bool]:
    """Walk the guild's live releases in display order; return the first `limit` ids that
    pass `where`, and whether that is the whole answer (False: a part of the order had more
    than `budget` rows, and the walk stopped there)."""
    join = "JOIN shows s ON s.id = w.show_id" if where.titles else ""
    found: list[int] = []
    for segment, order, before in _SEGMENTS:
        bound, complete = "", True
        bound_params: tuple[object, ...] = ()
        if budget is not None:
            # The row just past the budget: the walk stops before it.
            cut = await tx.fetchone(
                f"""
                SELECT w.starts_at, w.id FROM releases w
                WHERE w.guild_id = ? AND w.status != 'cancelled' AND {segment}
                ORDER BY {order} LIMIT 1 OFFSET ?
                """,
                (guild_id, to_epoch(now), budget),
            )
            if cut is not None:
                bound, bound_params, complete = f"AND {before}", (cut[0], cut[1]), False
        rows = await tx.fetchall(
            f"""
            SELECT w.id FROM releases w {join}
            WHERE w.guild_id = ? AND w.status != 'cancelled' AND {segment} {bound}
              AND ({where.sql})
            ORDER BY {order}
            LIMIT ?
            """,
            (guild_id, to_epoch(now), *bound_params, *where.params, limit - len(found)),
        )
        found += [row[0] for row in rows]
        if len(found) >= limit:
            return found, True
        if not complete:
            return found, False
    return found, True


class _TitleIndex:
    """The trigram index of show titles, as one search reads it."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._starts: dict[str, list[tuple[str, int]]] = {}

    async def shows(self, keys: list[str]) -> list[int] | None:
        """Return the ids of the shows (any guild's) whose title key contains every key,
        or None if there are more than SHOW_SET_CAP or the words are too common to look up.

        Words of three characters or more are phrases of the trigram index. A shorter word
        is the trigrams it starts (the index holds each title followed by two spaces, so
        each of its short substrings starts one); one short word is looked up that way
        when no longer word is typed, the others are tested on the titles found.
        """
        long = [key for key in keys if len(key) >= TRIGRAM]
        short = [key for key in keys if len(key) < TRIGRAM]
        matches = [_phrase(key) for key in long]
        if not long:
            # Two characters are rarer than one: the first word few enough is looked up.
            for key in sorted(short, key=len, reverse=True):
                starts = await self._trigrams_starting(key)
                if not starts:
                    return []
                if len(starts) <= MAX_SHORT_TERMS and sum(n for _, n in starts) <= SHOW_SET_CAP:
                    matches.append("(" + " OR ".join(_phrase(term) for term, _ in starts) + ")")
                    short.remove(key)
                    break
            else:
                return None
        rows = await self._tx.fetchall(
            f"""
            SELECT t.rowid FROM shows_title_trigrams t
            {"JOIN shows s ON s.id = t.rowid" if short else ""}
            WHERE shows_title_trigrams MATCH ? {" AND instr(s.title_key, ?) > 0" * len(short)}
            LIMIT ?
            """,
            (" AND ".join(matches), *short, SHOW_SET_CAP + 1),
        )
        if len(rows) > SHOW_SET_CAP:
            return None
        return [row[0] for row in rows]

    async def _trigrams_starting(self, key: str) -> list[tuple[str, int]]:
        """The indexed trigrams that start with `key` and how many titles hold each (up to
        MAX_SHORT_TERMS + 1 of them)."""
        if key not in self._starts:
            rows = await self._tx.fetchall(
                "SELECT term, doc FROM shows_title_terms WHERE term >= ? AND term < ? LIMIT ?",
                (key, _successor(key), MAX_SHORT_TERMS + 1),
            )
            self._starts[key] = [(row[0], row[1]) for row in rows]
        return self._starts[key]


def _phrase(text: str) -> str:
    """`text` as an FTS5 string: its characters taken literally."""
    return '"' + text.replace('"', '""') + '"'


def _successor(key: str) -> str:
    """A string after every trigram that starts with `key`, and before any other."""
    last = ord(key[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates are not characters: the next one is
        last = 0xE000
    if last > 0x10FFFF:  # the last character: no next one, but a longer string
        return key[:-1] + "\U0010ffff" * 4
    return key[:-1] + chr(last)


async def _lookup(
    tx: Transaction, guild_id: int, groups: list[_Group], now: datetime, limit: int
) -> list[int] | None:
    """Return the first `limit` ids of the groups' releases in display order, fetched
    through their shows or labels and sorted; None if a group has too many for that."""
    parts: list[str] = []
    params: list[object] = []
    for group in groups:
        label_test, label_params = group.label_sql("r.label")
        if group.shows is not None and group.title_keys:
            shows = json.dumps(group.shows)
            # Read from the index releases_live_by_show alone.
            of_shows = (
                "SELECT r.id, r.starts_at FROM releases r "
                "WHERE r.show_id IN (SELECT value FROM json_each(?)) AND r.status != 'cancelled'"
            )
            if await _count(tx, of_shows, (shows,), LOOKUP_BY_SHOWS) <= LOOKUP_BY_SHOWS:
                parts.append(f"{of_shows} AND +r.guild_id = ? AND {label_test}")
                params += [shows, guild_id, *label_params]
                continue
        labelled = (
            "SELECT 1 FROM releases WHERE guild_id = ? AND status != 'cancelled' "
            "AND label IN (SELECT value FROM json_each(?))"
        )
        labelled_params: tuple[object, ...] = (guild_id, json.dumps(group.labels))
        if group.unlabelled:
            labelled += (
                " UNION ALL SELECT 1 FROM releases "
                "WHERE guild_id = ? AND status != 'cancelled' AND label IS NULL"
            )
            labelled_params += (guild_id,)
        if await _count(tx, labelled, labelled_params, LOOKUP_BY_LABELS) > LOOKUP_BY_LABELS:
            return None
        if group.shows is None and group.title_keys:
            title_test = " AND ".join("instr(s.title_key, ?) > 0" for _ in group.title_keys)
            title_params: list[object] = list(group.title_keys)
        elif group.title_keys:
            title_test = "r.show_id IN (SELECT value FROM json_each(?))"
            title_params = [json.dumps(group.shows)]
        else:
            title_test, title_params = "1", []
        parts.append(
            f"""
            SELECT r.id, r.starts_at FROM releases r JOIN shows s ON s.id = r.show_id
            WHERE r.guild_id = ? AND r.status != 'cancelled' AND {label_test} AND {title_test}
            """
        )
        params += [guild_id, *label_params, *title_params]
    if not parts:
        return []
    # The groups' labels do not overlap: no release is found twice.
    rows = await tx.fetchall(
        f"""
        SELECT id FROM ({" UNION ALL ".join(parts)})
        ORDER BY (starts_at IS NULL), (starts_at < ?), starts_at, id
        LIMIT ?
        """,
        (*params, to_epoch(now), limit),
    )
    return [row[0] for row in rows]


async def _count(tx: Transaction, sql: str, params: tuple[object, ...], most: int) -> int:
    """How many rows `sql` gives, counted up to `most` + 1."""
    row = await tx.fetchone(f"SELECT count(*) FROM ({sql} LIMIT ?)", (*params, most + 1))
    return 0 if row is None else int(row[0])


async def _releases_in_order(tx: Transaction, ids: list[int]) -> list[Release]:
    """Return the releases with these ids, in the order of the ids."""
    found = await releases.releases_by_ids(tx, ids)
    return [found[release_id] for release_id in ids]


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


async def search_shows(tx: Transaction, guild_id: int, typed: str, limit: int = 25) -> list[Show]:
    """Return the shows the guild sees whose title contains `typed` (a catalog show it
    follows: any of its titles or synonyms), alphabetically, its own first."""
    pattern = _like_pattern(typed)
    rows = await tx.fetchall(
        f"""
        SELECT {SHOW_COLUMNS} FROM shows s
        WHERE s.guild_id = ? AND s.title_key LIKE ? ESCAPE '\\'
        ORDER BY s.title_key LIMIT ?
        """,
        (guild_id, pattern, limit),
    )
    catalog = await tx.fetchall(
        f"""
        SELECT DISTINCT {SHOW_COLUMNS} FROM follows f JOIN catalog_media c ON c.show_id = f.show_id
        JOIN shows s ON s.id = c.show_id
        WHERE f.guild_id = ? AND c.search_key LIKE ? ESCAPE '\\'
        ORDER BY s.title_key LIMIT ?
        """,
        (guild_id, pattern, limit),
    )
    return [show_from_row(row) for row in [*rows, *catalog][:limit]]


def _like_pattern(typed: str) -> str:
    """A LIKE pattern matching titles that contain `typed`, its wildcards taken literally."""
    escaped = typed.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
