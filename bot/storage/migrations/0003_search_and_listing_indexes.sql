-- Scale: a guild's releases listed in time order, its release labels, and a trigram
-- index of show titles, so searches and /upcoming stay instant with a million releases.

CREATE INDEX releases_live_by_guild_start ON releases (guild_id, starts_at)
    WHERE status != 'cancelled';
CREATE INDEX releases_live_by_guild_label ON releases (guild_id, label)
    WHERE status != 'cancelled';

-- Every substring of 3+ characters of a title key (already casefolded) finds its shows.
CREATE VIRTUAL TABLE shows_title_trigrams USING fts5(
    title_key, content = 'shows', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
INSERT INTO shows_title_trigrams (shows_title_trigrams) VALUES ('rebuild');

CREATE TRIGGER shows_title_trigrams_insert AFTER INSERT ON shows BEGIN
    INSERT INTO shows_title_trigrams (rowid, title_key) VALUES (new.id, new.title_key);
END;
CREATE TRIGGER shows_title_trigrams_delete AFTER DELETE ON shows BEGIN
    INSERT INTO shows_title_trigrams (shows_title_trigrams, rowid, title_key)
        VALUES ('delete', old.id, old.title_key);
END;
CREATE TRIGGER shows_title_trigrams_update AFTER UPDATE OF title_key ON shows BEGIN
    INSERT INTO shows_title_trigrams (shows_title_trigrams, rowid, title_key)
        VALUES ('delete', old.id, old.title_key);
    INSERT INTO shows_title_trigrams (rowid, title_key) VALUES (new.id, new.title_key);
END;
