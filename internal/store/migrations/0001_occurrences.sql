-- Every occurrence that came due, whatever became of it. The primary key is
-- the plan's stable id, so recording one twice is impossible.
CREATE TABLE occurrences (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL, -- unix milliseconds
    at           TEXT NOT NULL,    -- RFC 3339 with the profile's offset
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    why          TEXT NOT NULL,
    status       TEXT NOT NULL,    -- fired | missed | skipped | acked
    reason       TEXT NOT NULL DEFAULT '',
    recorded_at  INTEGER NOT NULL,
    acked_at     INTEGER
) STRICT;

CREATE INDEX occurrences_scheduled_at ON occurrences (scheduled_at);

-- The outbox: one row per occurrence, dispatch and channel. A dispatch is
-- one sending of an occurrence (0 is the first; repeats and snoozes add
-- more). message_id stays the same across retries of a row.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    occurrence_id   TEXT NOT NULL REFERENCES occurrences (id),
    dispatch        INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    status          TEXT NOT NULL, -- pending | delivered | failed | expired
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (occurrence_id, dispatch, channel)
) STRICT;

CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
