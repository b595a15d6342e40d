-- Each user's chosen microphone and speaker, as their browser names them: the device id (stable for one browser
-- profile and site) and the label (the same in every browser on the machine, e.g. "USB Audio Device Mono").
CREATE TABLE audio_prefs (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    input_id     TEXT,
    input_label  TEXT,
    output_id    TEXT,
    output_label TEXT,
    updated_at   INTEGER NOT NULL
);
