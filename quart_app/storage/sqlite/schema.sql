-- The oncelink schema. Each "-- version N" section migrates a database from version N-1 to
-- N; on start, the sections newer than PRAGMA user_version run in one transaction.
-- Add a new section at the end for every change; never edit a released one.
-- Times are seconds since the epoch (REAL), as read from the app's clock.

-- version 1

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash   TEXT NOT NULL,
    is_admin        INTEGER NOT NULL DEFAULT 0,
    -- Every link carries the generation it was issued under; bumping it revokes them all.
    link_generation INTEGER NOT NULL DEFAULT 0,
    created_at      REAL NOT NULL
);

-- Server-side sessions: the cookie holds a random id, the table only its SHA-256.
CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE shares (
    seq           INTEGER PRIMARY KEY,  -- insertion order: the share list's order and cursor
    id            TEXT NOT NULL UNIQUE, -- random, the only id users and links ever see
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label         TEXT NOT NULL DEFAULT '',
    note          TEXT,            -- NULL once erased: revoked, all links spent, or expired
    default_ttl   INTEGER NOT NULL,
    created_at    REAL NOT NULL,
    expires_at    REAL NOT NULL,   -- when the last issued link runs out
    links_issued  INTEGER NOT NULL DEFAULT 0,
    links_used    INTEGER NOT NULL DEFAULT 0,
    links_revoked INTEGER NOT NULL DEFAULT 0,
    revoked_at    REAL
);
CREATE INDEX shares_by_owner ON shares(owner_id, seq);
CREATE INDEX shares_with_note ON shares(expires_at) WHERE note IS NOT NULL;

-- The ledger: one row per used or revoked link, keyed by the token's random jti.
CREATE TABLE redemptions (
    jti      TEXT PRIMARY KEY,
    share_id TEXT NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    used_at  REAL NOT NULL,
    revoked  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX redemptions_by_share ON redemptions(share_id, used_at);
CREATE INDEX redemptions_by_time ON redemptions(used_at);

-- version 2
-- API tokens: the caller holds a random 256-bit secret, the table only its SHA-256.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL DEFAULT '',
    token_hash BLOB NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id, id);

-- version 3
-- A disabled user cannot log in; their sessions and links were ended when disabled.
ALTER TABLE users ADD COLUMN disabled_at REAL;

-- version 4

-- Live dashboards: a per-user counter that goes up with every change to the user's shares.
-- Serving processes share only this file, so each polls the counters of the users that have
-- a dashboard open; triggers keep them right whichever code path or process wrote.
ALTER TABLE users ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER share_added AFTER INSERT ON shares
BEGIN
    UPDATE users SET changes = changes + 1 WHERE id = NEW.owner_id;
END;

CREATE TRIGGER share_changed
AFTER UPDATE OF links_issued, links_used, links_revoked, revoked_at, note ON shares
BEGIN
    UPDATE users SET changes = changes + 1 WHERE id = NEW.owner_id;
END;

CREATE TRIGGER links_all_revoked AFTER UPDATE OF link_generation ON users
BEGIN
    UPDATE users SET changes = changes + 1 WHERE id = NEW.id;
END;

-- Re-viewing: after a browser redeems a link it may reload the note for a few minutes. The
-- note is kept here encrypted with a key that only that browser holds (in a cookie), and the
-- row is deleted when the time is up, so the server never again holds a note it can read.
CREATE TABLE reveals (
    jti          TEXT PRIMARY KEY REFERENCES redemptions(jti) ON DELETE CASCADE,
    sealed_note  BLOB NOT NULL,  -- AES-256-GCM: 12-byte nonce, then ciphertext and tag
    reveal_until REAL NOT NULL
);
CREATE INDEX reveals_by_time ON reveals(reveal_until);

-- version 5
-- A revoked share counts the links it revoked as revoked (it used to count none, so its
-- counts did not add up to the links it issued). Links that had run out stay expired.
UPDATE shares SET links_revoked = links_issued - links_used
    WHERE revoked_at IS NOT NULL AND revoked_at < expires_at
      AND links_used + links_revoked < links_issued;

-- A share made from the dashboard's form carries the form's one-time nonce, so that the
-- form sent again (a reload of the page its answer is on) makes no second share.
ALTER TABLE shares ADD COLUMN form_nonce TEXT;
CREATE UNIQUE INDEX shares_by_form_nonce ON shares(owner_id, form_nonce);
-- The same for API tokens made on the tokens page.
ALTER TABLE api_tokens ADD COLUMN form_nonce TEXT;
CREATE UNIQUE INDEX api_tokens_by_form_nonce ON api_tokens(user_id, form_nonce);

-- Invites: one-time links by which admins add users. The link is signed under a salt of its
-- own and names its row by jti; the row says whether it may still be used, and by whom it
-- was. created_by is NULL for invites made on the command line.
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    jti        TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE CASCADE,
    is_admin   INTEGER NOT NULL DEFAULT 0,
    label      TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at    REAL,
    used_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    revoked_at REAL,
    form_nonce TEXT
);
CREATE UNIQUE INDEX invites_by_form_nonce ON invites(created_by, form_nonce);
CREATE INDEX invites_by_expiry ON invites(expires_at);
