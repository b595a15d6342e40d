-- One-time login links: how the kiosk browser on the same machine signs in without a password.
-- The link carries 32 random bytes; only their SHA-256 is stored. A link works once, for a minute.
CREATE TABLE login_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    -- The kiosk's options (JSON), handed on to the session the link opens.
    options    TEXT NOT NULL DEFAULT '{}'
);

-- Sessions opened through a login link are kiosk sessions: they carry the kiosk's options (JSON) and may hold
-- the command channel. NULL for ordinary logins.
ALTER TABLE sessions ADD COLUMN kiosk TEXT;
