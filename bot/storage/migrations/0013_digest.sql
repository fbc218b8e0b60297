-- The weekly digest (issue 11): each guild's setting, and an outbox of its own for the
-- posts. A digest is about no release, so it is kept apart from `deliveries` (whose rows
-- are each about one release and reconciled to `owed`): nothing that reconciles releases
-- can add, skip or double a digest.

-- Where and when the guild's digest goes: a day of the week (0 Monday .. 6 Sunday) and a
-- time of day in the guild's zone (minutes after midnight). No row: the digest is off.
CREATE TABLE digest_settings (
    guild_id     INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    minute       INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
    since        INTEGER NOT NULL,      -- when it was set: moments before are not owed
    updated_at   INTEGER NOT NULL
);

-- One row per digest owed, written a week ahead, keyed by guild, channel and moment.
CREATE TABLE digests (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,    -- the digest's moment; its week starts here
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_expires_at INTEGER,
    nonce            TEXT NOT NULL,       -- from the key: a resend is the same message
    -- An attempt may have reached Discord without an answer: look before sending again.
    unconfirmed      INTEGER NOT NULL DEFAULT 0,
    message_id       INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    UNIQUE (guild_id, channel_id, due_at)
);
CREATE INDEX digests_pending_by_due ON digests (due_at) WHERE status = 'pending';
CREATE INDEX digests_sending_by_lease ON digests (lease_expires_at) WHERE status = 'sending';
CREATE INDEX digests_by_guild ON digests (guild_id, status);
