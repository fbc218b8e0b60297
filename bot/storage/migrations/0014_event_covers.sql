-- Event covers (issue 10 item 3): the cover each mirrored event should carry, part of what
-- it shows. Rows written before covers read as having none.
ALTER TABLE scheduled_events ADD COLUMN image_url TEXT;
