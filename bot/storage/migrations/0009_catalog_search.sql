-- `/anilist follow` autocomplete searches every title and synonym of the catalog as a
-- moderator types (bot/storage/catalog.py, search_media): a LIKE '%text%' over each
-- show's search_key, which no index can seek. This index holds the key with what the
-- search returns and sorts by (the show id is its rowid), so the scan reads a narrow
-- index instead of every wide catalog row with its synopsis.
CREATE INDEX catalog_media_search ON catalog_media (search_key, anilist_id);
