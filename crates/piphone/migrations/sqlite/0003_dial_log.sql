-- Every outgoing call a user asked for: dialled or refused, and when a dialled call ended.
-- Feeds the toll-fraud limits (calls per day, concurrent calls) and the admins' refusal list.
CREATE TABLE dial_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    username   TEXT NOT NULL,
    number     TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('dialled', 'refused')),
    reason     TEXT,
    call_sid   TEXT,
    ended_at   INTEGER
);
CREATE INDEX dial_log_user_at ON dial_log(username, at);
CREATE INDEX dial_log_call ON dial_log(call_sid);
