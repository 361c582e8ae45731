-- The morning check-in: one answer per night, named by the evening's date in
-- the profile's zone. A cramp or severe answer also logs a cramp, whose row
-- cramp_id names, so that a changed answer changes that entry and no other.
-- Every cramp now says where it came from: '' for `crampd cramp log`,
-- 'checkin' for the check-in.
ALTER TABLE cramps ADD COLUMN source TEXT NOT NULL DEFAULT '';

CREATE TABLE nights (
    night       TEXT PRIMARY KEY, -- YYYY-MM-DD, the evening the night began
    answer      TEXT NOT NULL,    -- none | cramp | severe
    cramp_id    INTEGER,          -- the cramp a cramp or severe answer logged
    source      TEXT NOT NULL,    -- cli | desktop | ntfy
    answered_at INTEGER NOT NULL  -- unix milliseconds
) STRICT;
