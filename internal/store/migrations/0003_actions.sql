-- Actions people took on reminders (a button press on the desktop or a
-- phone, a command), keyed by where they came from and the nonce that source
-- gave them. An action is recorded in the same transaction as its effect, so
-- the same press handled twice has its effect once.
CREATE TABLE actions (
    source        TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    verb          TEXT NOT NULL,
    occurrence_id TEXT NOT NULL DEFAULT '',
    handled_at    INTEGER NOT NULL,
    PRIMARY KEY (source, nonce)
) STRICT;

CREATE INDEX actions_handled_at ON actions (handled_at);
