-- Discord scheduled events (issue 10): whether each guild mirrors its highlights as events
-- (and whether the mirror is paused for lack of Create Events), and each mirrored event:
-- what it should show, what Discord shows, and the state of the operation owed to it.
CREATE TABLE guild_event_mirrors (
    guild_id      INTEGER PRIMARY KEY,
    enabled       INTEGER NOT NULL,
    paused_reason TEXT,                 -- set: nothing is sent until the permission is back
    paused_at     INTEGER,
    changed_at    INTEGER NOT NULL
);

CREATE TABLE scheduled_events (
    guild_id            INTEGER NOT NULL,
    release_id          INTEGER NOT NULL,
    want                TEXT NOT NULL CHECK (want IN ('event', 'cancelled', 'deleted', 'done')),
    name                TEXT NOT NULL,
    description         TEXT,
    location            TEXT NOT NULL,
    starts_at           INTEGER NOT NULL,
    ends_at             INTEGER NOT NULL,
    event_id            INTEGER,            -- Discord's, once known
    synced              TEXT,               -- fingerprint of what Discord shows, or 'cancelled'
    attempt_name        TEXT,               -- a create whose outcome is unknown: what it sent
    attempt_starts_at   INTEGER,
    attempt_fingerprint TEXT,
    gone                INTEGER NOT NULL DEFAULT 0,  -- deleted by a moderator: never made again
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_try_at         INTEGER NOT NULL DEFAULT 0,
    lease_until         INTEGER,
    last_error          TEXT,
    PRIMARY KEY (guild_id, release_id)
) WITHOUT ROWID;
CREATE INDEX scheduled_events_by_event ON scheduled_events (guild_id, event_id);
