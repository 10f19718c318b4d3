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

-- version 6
-- Recipients, passphrases, and the audit trail of each link.

-- Named recipients, as a JSON array: link i of the share is for recipients[i-1]. NULL when
-- the share was made for a number of links. Nothing else is stored per link at issue time:
-- each link carries its own number.
ALTER TABLE shares ADD COLUMN recipients TEXT;
-- Set when the note is sealed with a passphrase: the key derivation's parameters and salt
-- ("argon2id$m=...,t=...,p=...$<salt>"). The passphrase itself is never stored.
ALTER TABLE shares ADD COLUMN passphrase_kdf TEXT;
-- When the share closed (its note erased: revoked, every link spent, or expired); its
-- events are kept for ONCELINK_AUDIT_DAYS after that.
ALTER TABLE shares ADD COLUMN closed_at REAL;
-- Links issued before links were numbered carry no number; the numbered ones follow them.
ALTER TABLE shares ADD COLUMN unnumbered_links INTEGER NOT NULL DEFAULT 0;
UPDATE shares SET unnumbered_links = links_issued;
UPDATE shares SET closed_at = coalesce(revoked_at, expires_at) WHERE note IS NULL;

-- What happened to each link: viewed, granted, refused, passphrase_failed, locked, revoked.
-- link 0 stands for a link without a number, or for the whole share (a share revoked).
-- Repeated views and refusals of one link fold into one row a minute ("fold_minute"), so a
-- flood leaves a row per minute, not a row per request. Never a token, note or passphrase.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    share_id    TEXT REFERENCES shares(id) ON DELETE CASCADE,
    link        INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL,
    at          REAL NOT NULL,        -- the first of the events folded into this row
    last_at     REAL NOT NULL,        -- the last of them
    count       INTEGER NOT NULL DEFAULT 1,
    address     TEXT,                 -- as ONCELINK_AUDIT_ADDRESSES allows; NULL when off
    user_agent  TEXT,                 -- its first 256 characters
    bot         TEXT NOT NULL DEFAULT '',  -- the link previewer or scanner it is, '' for people
    fold_minute INTEGER               -- NULL for kinds that never fold
);
-- Only rows that fold are in it: a grant costs one index less.
CREATE UNIQUE INDEX audit_events_folding ON audit_events(share_id, kind, link, bot, fold_minute)
    WHERE fold_minute IS NOT NULL;
CREATE INDEX audit_events_by_share ON audit_events(share_id, at, id);
CREATE INDEX audit_events_by_time ON audit_events(at);

-- Live dashboards and share pages hear of events as of any other change. A grant needs no
-- trigger of its own: counting the use already moved the owner's counter.
CREATE TRIGGER audit_event_added AFTER INSERT ON audit_events WHEN NEW.kind <> 'granted'
BEGIN
    UPDATE users SET changes = changes + 1
    WHERE id = (SELECT owner_id FROM shares WHERE id = NEW.share_id);
END;

CREATE TRIGGER audit_event_folded AFTER UPDATE OF count ON audit_events
BEGIN
    UPDATE users SET changes = changes + 1
    WHERE id = (SELECT owner_id FROM shares WHERE id = NEW.share_id);
END;

-- Passphrase attempts per link, counted before each key derivation, whatever its outcome:
-- at most 5 per link ever, then the link is locked. Pruned as the ledger is.
CREATE TABLE passphrase_attempts (
    jti      TEXT PRIMARY KEY,
    share_id TEXT NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL,
    last_at  REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX passphrase_attempts_by_time ON passphrase_attempts(last_at);

-- version 7
-- Notes encrypted at rest: the note's data key, wrapped by a note key ("<key id>:<base64>").
-- NULL for notes stored before this version, which `oncelink rotate-note-keys` encrypts.
ALTER TABLE shares ADD COLUMN note_key TEXT;

-- version 8
-- Notifications: where each user's are sent, and the outbox of those waiting to go.

-- A webhook, or the user's mail address (one at most). ``events``: a bit mask of the event
-- types sent there. A mail address gets notifications once confirmed, through a one-time
-- link that names it by ``confirm_jti``; a webhook is confirmed when added.
CREATE TABLE destinations (
    id           TEXT PRIMARY KEY,  -- random; webhooks are known by it
    owner_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,     -- 'webhook' or 'mail'
    target       TEXT NOT NULL,     -- the webhook's URL, or the mail address
    events       INTEGER NOT NULL,
    secret       TEXT,              -- a webhook's signing secret (whsec_...), shown once
    confirm_jti  TEXT UNIQUE,
    confirmed_at REAL,
    created_at   REAL NOT NULL,
    form_nonce   TEXT
);
CREATE INDEX destinations_by_owner ON destinations(owner_id, kind);
CREATE UNIQUE INDEX destinations_one_mail ON destinations(owner_id) WHERE kind = 'mail';
CREATE UNIQUE INDEX destinations_by_form_nonce ON destinations(owner_id, form_nonce);

-- The outbox: a row per notice and destination, written in the transaction of what it
-- reports. ``message_id`` is the webhook-id, the same on every attempt. A delivered row goes;
-- one given up on stays a while with ``failed_at``. ``data`` holds the body's data as known
-- then (JSON); the share's label and the link's recipient are read at delivery.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    message_id     TEXT NOT NULL,
    destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    type           TEXT NOT NULL,
    at             REAL NOT NULL,   -- when the event happened
    share_id       TEXT,
    link           INTEGER,
    data           TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        REAL NOT NULL,
    failed_at      REAL
);
CREATE INDEX outbox_due ON outbox(next_at) WHERE failed_at IS NULL;
CREATE INDEX outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;

-- Every attempt at a delivery, for its destination's log; kept a week.
CREATE TABLE delivery_attempts (
    id             INTEGER PRIMARY KEY,
    destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    message_id     TEXT NOT NULL,
    type           TEXT NOT NULL,
    at             REAL NOT NULL,
    attempt        INTEGER NOT NULL,
    status_code    INTEGER,         -- NULL when no answer came
    error          TEXT,            -- NULL when delivered
    gave_up        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX delivery_attempts_by_destination ON delivery_attempts(destination_id, id);
CREATE INDEX delivery_attempts_by_time ON delivery_attempts(at);

-- Notices sent at most once per link (a first view) or once per link and minute (refusals,
-- which come in floods): the row's insert decides which process sends it.
CREATE TABLE notice_marks (
    share_id TEXT NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    link     INTEGER NOT NULL,
    type     TEXT NOT NULL,
    slot     INTEGER NOT NULL,  -- 0 for once per link, else the minute
    at       REAL NOT NULL,
    PRIMARY KEY (share_id, link, type, slot)
) WITHOUT ROWID;
CREATE INDEX notice_marks_by_time ON notice_marks(at);

-- version 9
-- Requests: a one-time link by which someone without an account sends its owner a secret.
-- The row is the request's ledger entry: its link names it by id, and answered_at, set once
-- by a conditional UPDATE, says whether it was answered.
CREATE TABLE requests (
    seq            INTEGER PRIMARY KEY,  -- insertion order: the list's order and cursor
    id             TEXT NOT NULL UNIQUE, -- random, the only id users and links ever see
    owner_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label          TEXT NOT NULL,        -- what is asked for: shown to the sender too
    instructions   TEXT NOT NULL DEFAULT '',
    created_at     REAL NOT NULL,
    expires_at     REAL NOT NULL,        -- when the link runs out
    form_nonce     TEXT,
    -- Set when the answer must be sealed with a passphrase: the key derivation's parameters
    -- and salt, and the X25519 public key the passphrase derives. The answer is sealed to that
    -- key when it arrives; only the passphrase opens it. The passphrase is never stored.
    passphrase_kdf TEXT,
    sealing_key    BLOB,
    -- The answer, encrypted at rest as notes are: answer_key is its data key, wrapped by a
    -- note key. NULL until answered, and again once read or revoked.
    answer         TEXT,
    answer_key     TEXT,
    answered_at    REAL,
    read_at        REAL,
    revoked_at     REAL,
    -- After the owner reads the answer, that browser may read it again for a few minutes: a
    -- copy encrypted with a key only that browser holds (as the reveals of links).
    reveal_copy    BLOB,
    reveal_until   REAL
);
CREATE INDEX requests_by_owner ON requests(owner_id, seq);
CREATE UNIQUE INDEX requests_by_form_nonce ON requests(owner_id, form_nonce);
CREATE INDEX requests_revealed ON requests(reveal_until) WHERE reveal_until IS NOT NULL;

-- An event is about a share's link or about a request: request_id is set for the latter.
ALTER TABLE audit_events ADD COLUMN request_id TEXT REFERENCES requests(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX audit_events_request_folding
    ON audit_events(request_id, kind, bot, fold_minute)
    WHERE request_id IS NOT NULL AND fold_minute IS NOT NULL;
CREATE INDEX audit_events_by_request ON audit_events(request_id, at, id)
    WHERE request_id IS NOT NULL;

CREATE TRIGGER request_added AFTER INSERT ON requests
BEGIN
    UPDATE users SET changes = changes + 1 WHERE id = NEW.owner_id;
END;

CREATE TRIGGER request_changed AFTER UPDATE OF answered_at, read_at, revoked_at ON requests
BEGIN
    UPDATE users SET changes = changes + 1 WHERE id = NEW.owner_id;
END;

CREATE TRIGGER request_event_added AFTER INSERT ON audit_events
WHEN NEW.request_id IS NOT NULL
BEGIN
    UPDATE users SET changes = changes + 1
    WHERE id = (SELECT owner_id FROM requests WHERE id = NEW.request_id);
END;

CREATE TRIGGER request_event_folded AFTER UPDATE OF count ON audit_events
WHEN NEW.request_id IS NOT NULL
BEGIN
    UPDATE users SET changes = changes + 1
    WHERE id = (SELECT owner_id FROM requests WHERE id = NEW.request_id);
END;
