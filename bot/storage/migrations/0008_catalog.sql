-- The shared AniList catalog (issue 9): catalog shows are stored once (shows.guild_id
-- NULL) with what AniList says of them; their releases belong to no guild and reach
-- every guild whose follows name the show, each by its own settings.

-- A catalog release belongs to no guild, so releases.guild_id may be NULL: the table is
-- rebuilt (SQLite cannot drop NOT NULL). Its rows are copied aside, the table dropped and
-- made again under the same name, and the rows put back with their ids: the outbox's
-- references never change, and the foreign keys (checked at commit) hold again.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE releases_copy AS SELECT * FROM releases;
DROP TABLE releases;
CREATE TABLE releases (
    id          INTEGER PRIMARY KEY,
    show_id     INTEGER NOT NULL REFERENCES shows (id),
    guild_id    INTEGER,                 -- NULL: a catalog release (its show's guild_id too)
    label       TEXT,
    starts_at   INTEGER,                 -- NULL only when precision is 'tba'
    precision   TEXT NOT NULL CHECK (precision IN ('exact', 'day', 'month', 'season', 'year', 'tba')),
    timezone    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'delayed', 'released', 'cancelled')),
    revision    INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    revised_at  INTEGER,
    -- A catalog release's AniList episode; NULL for a guild's release, and for the one
    -- release of a catalog show without airings (dated from its start date).
    episode     INTEGER
);
INSERT INTO releases
    (id, show_id, guild_id, label, starts_at, precision, timezone, status, revision,
     created_at, updated_at, revised_at)
SELECT id, show_id, guild_id, label, starts_at, precision, timezone, status, revision,
       created_at, updated_at, revised_at
FROM temp.releases_copy;
DROP TABLE temp.releases_copy;

CREATE INDEX releases_by_guild_time ON releases (guild_id, status, starts_at);
CREATE INDEX releases_by_show ON releases (show_id);
CREATE INDEX releases_live_by_guild_start
    ON releases (guild_id, starts_at, id, show_id, label, status) WHERE status != 'cancelled';
CREATE INDEX releases_live_by_guild_label
    ON releases (guild_id, label, status) WHERE status != 'cancelled';
CREATE INDEX releases_live_by_show
    ON releases (show_id, label, starts_at, guild_id, status) WHERE status != 'cancelled';
-- A catalog release is keyed by (show, episode); a show has at most one undated-by-airing
-- release (episode NULL).
CREATE UNIQUE INDEX releases_catalog_episode ON releases (show_id, coalesce(episode, 0))
    WHERE guild_id IS NULL;

-- What AniList says of a catalog show, beyond the shows row (whose title is the romaji
-- title, else English, else native).
CREATE TABLE catalog_media (
    show_id           INTEGER PRIMARY KEY REFERENCES shows (id),
    anilist_id        INTEGER NOT NULL UNIQUE,
    mal_id            INTEGER,
    title_romaji      TEXT,
    title_english     TEXT,
    title_native      TEXT,
    synonyms          TEXT NOT NULL DEFAULT '[]',   -- a JSON array of strings
    -- Every title and synonym casefolded, one a line: what searches match (a guild sees
    -- the few catalog shows it follows, so they are tested one by one).
    search_key        TEXT NOT NULL,
    cover_url         TEXT,
    synopsis          TEXT,
    site_url          TEXT NOT NULL,
    format            TEXT,
    status            TEXT,
    episodes          INTEGER,
    duration_minutes  INTEGER,
    season            TEXT,
    season_year       INTEGER,
    start_year        INTEGER,
    start_month       INTEGER,
    start_day         INTEGER,
    -- When a guild first followed it: episodes that aired before owe nothing.
    first_followed_at INTEGER NOT NULL,
    synced_at         INTEGER NOT NULL,
    -- Finished or cancelled: no longer synced.
    sync_ended_at     INTEGER
);

-- Legal streaming sites, in AniList's order (one per site).
CREATE TABLE catalog_streaming_links (
    show_id   INTEGER NOT NULL REFERENCES shows (id),
    position  INTEGER NOT NULL,
    site      TEXT NOT NULL,
    url       TEXT NOT NULL,
    PRIMARY KEY (show_id, position)
);

-- Follows naming a show: which guilds see a catalog show.
CREATE INDEX follows_by_show_guild ON follows (show_id, guild_id);

-- The title a guild reads catalog shows by, and how long after AniList's airing time
-- its catalog reminders and announcements are due (a streaming delay, at most 24 h).
ALTER TABLE guild_settings ADD COLUMN title_language TEXT NOT NULL DEFAULT 'romaji'
    CHECK (title_language IN ('romaji', 'english', 'native'));
ALTER TABLE guild_settings ADD COLUMN delay_after_seconds INTEGER NOT NULL DEFAULT 0
    CHECK (delay_after_seconds BETWEEN 0 AND 86400);
