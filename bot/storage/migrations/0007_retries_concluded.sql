-- A row in flight whose lease runs out is an attempt nobody heard the end of: it may be
-- in Discord. A retry after an answer (a 503, a 429, a timeout) also keeps the row in
-- flight until its moment: that attempt's end was heard. `concluded` tells them apart,
-- so a retried reminder is not dropped as maybe-posted, nor a refused one failed for good.
ALTER TABLE deliveries ADD COLUMN concluded INTEGER NOT NULL DEFAULT 0;
