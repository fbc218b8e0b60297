-- The calendar feed (issue 10): each guild's secret feed token with what its feed last
-- served, and each event as last published in a guild's calendar: its version (SEQUENCE,
-- DTSTAMP), its time (a cancelled release keeps the time it was published with) and its
-- iCalendar text, so a feed is put together again without rendering every event.
CREATE TABLE calendar_feeds (
    guild_id        INTEGER PRIMARY KEY,
    token           TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    body_etag       TEXT,               -- the feed's last body, as its strong ETag
    body_changed_at INTEGER             -- when that body was first served: Last-Modified
);

CREATE TABLE calendar_events (
    guild_id     INTEGER NOT NULL,
    release_id   INTEGER NOT NULL,
    fingerprint  TEXT NOT NULL,         -- a digest of what the event shows
    sequence     INTEGER NOT NULL,
    changed_at   INTEGER NOT NULL,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    all_day      INTEGER NOT NULL,
    ics          TEXT NOT NULL,         -- the VEVENT as published
    PRIMARY KEY (guild_id, release_id)
) WITHOUT ROWID;
CREATE INDEX calendar_events_by_guild_end ON calendar_events (guild_id, ends_at);
