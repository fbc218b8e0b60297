-- Shows, releases, guild settings and the delivery outbox.
-- Every time is UTC integer seconds in a column named *_at.

CREATE TABLE shows (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER,                 -- NULL: the shared catalog
    title       TEXT NOT NULL,
    title_key   TEXT NOT NULL,           -- casefolded title, for lookups
    description TEXT,
    image_url   TEXT,
    link        TEXT,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX shows_by_guild_title ON shows (guild_id, title_key);

CREATE TABLE releases (
    id          INTEGER PRIMARY KEY,
    show_id     INTEGER NOT NULL REFERENCES shows (id),
    guild_id    INTEGER NOT NULL,
    label       TEXT,
    starts_at   INTEGER,                 -- NULL only when precision is 'tba'
    precision   TEXT NOT NULL CHECK (precision IN ('exact', 'day', 'month', 'season', 'year', 'tba')),
    timezone    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'delayed', 'released', 'cancelled')),
    revision    INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX releases_by_guild_time ON releases (guild_id, status, starts_at);
CREATE INDEX releases_by_show ON releases (show_id);

CREATE TABLE guild_settings (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER,
    role_id         INTEGER,
    offsets         TEXT NOT NULL,       -- reminder offsets in seconds, space separated
    timezone        TEXT NOT NULL DEFAULT 'UTC',
    updated_at      INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    release_id       INTEGER NOT NULL REFERENCES releases (id),
    guild_id         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('reminder', 'announcement', 'notice')),
    offset_seconds   INTEGER NOT NULL,
    revision         INTEGER NOT NULL,
    target_id        INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_expires_at INTEGER,
    nonce            TEXT,                -- fixed at first claim; shared by rows sent as one
    late             INTEGER NOT NULL DEFAULT 0,
    old_starts_at    INTEGER,             -- notices: the time members were last told
    old_precision    TEXT,
    message_id       INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    UNIQUE (release_id, kind, offset_seconds, revision, target_id)
);
-- The dispatcher only ever looks at rows still owed: keep those indexes small.
CREATE INDEX deliveries_pending_by_due ON deliveries (due_at) WHERE status = 'pending';
CREATE INDEX deliveries_sending_by_lease ON deliveries (lease_expires_at) WHERE status = 'sending';
CREATE INDEX deliveries_by_release_target ON deliveries (release_id, target_id, status);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
