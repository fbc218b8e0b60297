-- Audiences beyond the announcement channel: channels that follow shows, members who
-- subscribe, and deliveries to members' DMs.

CREATE TABLE follows (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    show_id          INTEGER REFERENCES shows (id),   -- NULL: every show the guild sees
    role_id          INTEGER,
    episodes         INTEGER NOT NULL DEFAULT 1,      -- 0: premieres, finales and movies only
    disabled_at      INTEGER,
    disabled_reason  TEXT,
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX follows_by_channel_show ON follows (guild_id, channel_id, coalesce(show_id, 0));
CREATE INDEX follows_by_show ON follows (show_id);
CREATE INDEX follows_by_channel ON follows (channel_id);

CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    show_id     INTEGER NOT NULL REFERENCES shows (id),
    via         TEXT NOT NULL CHECK (via IN ('role', 'dm')),
    created_at  INTEGER NOT NULL,
    UNIQUE (guild_id, user_id, show_id, via)
);
CREATE INDEX subscriptions_by_show ON subscriptions (show_id, via);

-- Members whose DMs refused a message (50007): their DM subscriptions wait until they act.
CREATE TABLE dm_pauses (
    user_id     INTEGER PRIMARY KEY,
    paused_at   INTEGER NOT NULL,
    told_at     INTEGER
);

ALTER TABLE deliveries ADD COLUMN target_kind TEXT NOT NULL DEFAULT 'channel'
    CHECK (target_kind IN ('channel', 'user'));

ALTER TABLE guild_settings ADD COLUMN channel_disabled_reason TEXT;
ALTER TABLE guild_settings ADD COLUMN removed_at INTEGER;   -- the bot was removed from the guild
