-- Date-change notices are claimed only once due (they wait out their debounce), while
-- other rows are claimed a little early: the dispatcher looks up the earliest of each.
CREATE INDEX deliveries_pending_notices_by_due ON deliveries (due_at)
    WHERE status = 'pending' AND kind = 'notice';
