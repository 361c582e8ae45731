-- What the stats and the web page's trends and report read of a year of
-- reminders (when each was due, its kind, what became of it and why) is in
-- this index itself, so reading it never touches the rows with their texts.
CREATE INDEX occurrences_outcomes ON occurrences (scheduled_at, kind, status, reason);
