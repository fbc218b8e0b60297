-- Discussion threads and forum posts (issue 11).
-- A guild's threads setting: on, with the auto-archive its threads get (minutes).
CREATE TABLE guild_threads (
    guild_id        INTEGER PRIMARY KEY,
    enabled         INTEGER NOT NULL,
    archive_minutes INTEGER NOT NULL DEFAULT 1440,
    updated_at      INTEGER NOT NULL
);

-- Channels moderators chose that are forums: messages there go into one post a release.
CREATE TABLE forum_channels (
    channel_id INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL
);

-- Each release's post in a forum: its title as first composed (to look for it after an
-- uncertain attempt: a post takes no nonce), and its thread id once Discord has it.
CREATE TABLE forum_posts (
    release_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    title      TEXT NOT NULL,
    thread_id  INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (release_id, channel_id)
);

-- The rest of an announcement's delivery: the discussion thread owed on its message,
-- written in the transaction that records the message as sent, so a crash between the
-- message and the thread still ends with the thread.
CREATE TABLE thread_starts (
    message_id      INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    guild_id        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    archive_minutes INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'started', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_error      TEXT
);
CREATE INDEX thread_starts_pending ON thread_starts (next_at) WHERE status = 'pending';
