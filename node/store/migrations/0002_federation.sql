-- Federation: who follows whom, what we sent, what we must still deliver, what we have seen.

-- Objects from other hosts live in `objects` too; `origin` is the actor whose host owns the id
-- (NULL for our own). Our collections list only our own objects.
ALTER TABLE objects ADD COLUMN origin TEXT;
CREATE INDEX objects_by_origin ON objects (origin) WHERE origin IS NOT NULL;

-- Remote actors we have fetched: their inboxes and public key (a cache; refetched on key failure).
CREATE TABLE remote_actors (
    id             TEXT PRIMARY KEY,
    key_id         TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    inbox          TEXT NOT NULL,
    shared_inbox   TEXT,
    outbox         TEXT,
    document       TEXT NOT NULL,
    fetched        TEXT NOT NULL
);
CREATE UNIQUE INDEX remote_actors_by_key ON remote_actors (key_id);

-- Actors of other hosts that follow one of ours (the node, or an organisation).
CREATE TABLE followers (
    local_actor  TEXT NOT NULL,
    remote_actor TEXT NOT NULL,
    follow_id    TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    created      TEXT NOT NULL,
    PRIMARY KEY (local_actor, remote_actor)
);

-- Actors of other hosts that our node follows. state: pending, accepted, rejected.
CREATE TABLE following (
    remote_actor TEXT PRIMARY KEY,
    follow_id    TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created      TEXT NOT NULL,
    changed      TEXT NOT NULL,
    backfilled   TEXT
);

-- Every activity we published, in order; the outbox collections page through it.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    actor     TEXT NOT NULL,
    type      TEXT NOT NULL,
    object_id TEXT,
    public    INTEGER NOT NULL,
    published TEXT NOT NULL,
    document  TEXT NOT NULL
);
CREATE INDEX outbox_by_actor ON outbox (actor, seq);

-- The durable delivery queue: one row per (activity, inbox). A row leaves the queue when the
-- inbox accepted the activity, or refused it for good, or after the last retry.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    signer       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error   TEXT,
    created      TEXT NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt);

-- What gave up: kept for the operator to see (`sportnode deliveries`), never retried by itself.
CREATE TABLE failed_deliveries (
    activity_id TEXT NOT NULL,
    inbox       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    last_error  TEXT,
    failed      TEXT NOT NULL
);

-- Inbound activities already applied, by id: a redelivery is answered but applied only once.
CREATE TABLE inbox_seen (
    activity_id TEXT PRIMARY KEY,
    actor       TEXT NOT NULL,
    received    TEXT NOT NULL
);
