-- Autocomplete with a million releases (issue 8): a search reads indexes, not rows, and
-- words of one or two characters are found through the title index too.

-- Each index holds what a search tests (status too: SQLite reads only the index then).
-- The walk in display order tests each release's show and label (id keeps the order of
-- releases at the same time); a search fetches the releases of a few shows, or of a few
-- labels, with their label and time.
DROP INDEX releases_live_by_guild_start;
CREATE INDEX releases_live_by_guild_start
    ON releases (guild_id, starts_at, id, show_id, label, status) WHERE status != 'cancelled';
DROP INDEX releases_live_by_guild_label;
CREATE INDEX releases_live_by_guild_label
    ON releases (guild_id, label, status) WHERE status != 'cancelled';
CREATE INDEX releases_live_by_show
    ON releases (show_id, label, starts_at, guild_id, status) WHERE status != 'cancelled';

-- Each title key is indexed followed by two spaces, so every substring of one or two
-- characters starts a trigram: the index's vocabulary (shows_title_terms) lists the
-- trigrams a short word starts, and those find its shows. Typed words never hold spaces.
DROP TRIGGER shows_title_trigrams_insert;
DROP TRIGGER shows_title_trigrams_delete;
DROP TRIGGER shows_title_trigrams_update;
DROP TABLE shows_title_trigrams;

CREATE VIRTUAL TABLE shows_title_trigrams USING fts5(
    title_key, content = '', tokenize = 'trigram case_sensitive 1'
);
INSERT INTO shows_title_trigrams (rowid, title_key) SELECT id, title_key || '  ' FROM shows;
CREATE VIRTUAL TABLE shows_title_terms USING fts5vocab(shows_title_trigrams, row);

CREATE TRIGGER shows_title_trigrams_insert AFTER INSERT ON shows BEGIN
    INSERT INTO shows_title_trigrams (rowid, title_key) VALUES (new.id, new.title_key || '  ');
END;
CREATE TRIGGER shows_title_trigrams_delete AFTER DELETE ON shows BEGIN
    INSERT INTO shows_title_trigrams (shows_title_trigrams, rowid, title_key)
        VALUES ('delete', old.id, old.title_key || '  ');
END;
CREATE TRIGGER shows_title_trigrams_update AFTER UPDATE OF title_key ON shows BEGIN
    INSERT INTO shows_title_trigrams (shows_title_trigrams, rowid, title_key)
        VALUES ('delete', old.id, old.title_key || '  ');
    INSERT INTO shows_title_trigrams (rowid, title_key) VALUES (new.id, new.title_key || '  ');
END;
