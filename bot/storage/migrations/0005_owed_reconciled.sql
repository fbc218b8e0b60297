-- One rule for what is owed (bot/domain/owed.py): the outbox remembers the time each
-- message told, and every audience remembers since when it has been owed messages.

-- When the release's current time (its revision) was set: offsets already past then
-- are never sent, and a date-change notice waits out its debounce from it.
ALTER TABLE releases ADD COLUMN revised_at INTEGER;
UPDATE releases SET revised_at = updated_at;

-- The release time a row is about (fixed by its revision), so what was sent says what
-- members were told; and the fingerprint of the message as first composed, so a look
-- for it after the nonce window finds that message and no re-derived one.
ALTER TABLE deliveries ADD COLUMN about_starts_at INTEGER;
ALTER TABLE deliveries ADD COLUMN about_precision TEXT;
ALTER TABLE deliveries ADD COLUMN about_timezone TEXT;
ALTER TABLE deliveries ADD COLUMN fingerprint TEXT;
UPDATE deliveries SET
    about_starts_at = (SELECT starts_at FROM releases r WHERE r.id = release_id),
    about_precision = (SELECT precision FROM releases r WHERE r.id = release_id),
    about_timezone = (SELECT timezone FROM releases r WHERE r.id = release_id);

-- Since when each audience is owed messages (NULL: always).
ALTER TABLE guild_settings ADD COLUMN channel_since INTEGER;
ALTER TABLE guild_settings ADD COLUMN offsets_since INTEGER;
ALTER TABLE guild_settings ADD COLUMN present_since INTEGER;
ALTER TABLE follows ADD COLUMN since INTEGER;
UPDATE follows SET since = created_at;
ALTER TABLE subscriptions ADD COLUMN since INTEGER;
UPDATE subscriptions SET since = created_at;

-- The announcement channel moved: the new one is owed what the previous one was still
-- owed (messages due since `previous_channel_since` that it never got), nothing else.
ALTER TABLE guild_settings ADD COLUMN previous_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN previous_channel_since INTEGER;

-- An attempt whose answer never came (a timeout, a dropped connection) may have reached
-- Discord. Such a row is never simply skipped: when no longer owed it is kept to be
-- verified (its message looked for by fingerprint) and recorded as sent if it is there.
ALTER TABLE deliveries ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN verify_only INTEGER NOT NULL DEFAULT 0;

-- The zone of the time a notice says members were last told (a day is a day there).
ALTER TABLE deliveries ADD COLUMN old_timezone TEXT;
