-- Numbers refused at the station number (`piphone ban add|remove|list`), in E.164.
CREATE TABLE bans (
    number     TEXT PRIMARY KEY,
    reason     TEXT,
    created_at INTEGER NOT NULL
);
