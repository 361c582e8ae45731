-- The cramp journal. Times are unix milliseconds; symptoms are a
-- comma-separated list of swelling, numbness and weakness.
CREATE TABLE cramps (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    leg        TEXT NOT NULL DEFAULT '',
    muscle     TEXT NOT NULL DEFAULT '',
    severity   INTEGER NOT NULL DEFAULT 0,
    symptoms   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX cramps_at ON cramps (at);

CREATE INDEX occurrences_kind ON occurrences (kind, scheduled_at);

CREATE INDEX deliveries_occurrence ON deliveries (occurrence_id);
