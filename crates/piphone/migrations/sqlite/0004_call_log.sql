-- The call log: every call piphone handled — station calls (`queue`: the call-in, `incoming`: ring mode) and
-- browser calls out (`outgoing`) — with times, outcome and who handled it. Rows older than
-- PIPHONE_CALL_LOG_DAYS are purged at start-up and daily (their notes with them).
CREATE TABLE call_log (
    id              INTEGER PRIMARY KEY,
    call_sid        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('queue', 'incoming', 'outgoing')),
    -- The outside party: the caller's number (E.164 when it parses), or the number dialled.
    number          TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    -- While the call lasts: waiting, screening, screened, on-air, ringing, dialling. Then how it ended.
    outcome         TEXT NOT NULL,
    -- Why, when there is more to say (Twilio's QueueResult or DialCallStatus, a refusal or ban reason).
    detail          TEXT,
    -- Who handled it: the user who dialled out, the screener, the host who put the caller on the air.
    username        TEXT,
    screener        TEXT,
    host            TEXT,
    on_air_at       INTEGER,
    on_air_seconds  INTEGER
);
CREATE INDEX call_log_started ON call_log(started_at);
CREATE INDEX call_log_number ON call_log(number, started_at);

-- What the screener wrote about a caller, one row per call; the caller's history is read from these and the log.
CREATE TABLE call_notes (
    call_sid   TEXT PRIMARY KEY REFERENCES call_log(call_sid) ON DELETE CASCADE,
    name       TEXT NOT NULL DEFAULT '',
    location   TEXT NOT NULL DEFAULT '',
    topic      TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    priority   TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    screener   TEXT,
    updated_at INTEGER NOT NULL
);
