-- Node-wide settings: the admin token hash, and the like.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- RSA key pairs of the node and of each organisation actor. The private key never leaves this table.
CREATE TABLE keys (
    actor_id    TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    created     TEXT NOT NULL
);

-- Credentials of organisations. Tokens and invite codes are stored as SHA-256 hashes only.
CREATE TABLE organisation_access (
    organisation_id TEXT PRIMARY KEY,
    token_hash      TEXT UNIQUE,
    invite_hash     TEXT UNIQUE,
    invite_expires  TEXT,
    claimed         TEXT
);

-- Every published object (organisation, place, activity, course) as the JSON-LD document we serve,
-- plus the columns we filter and join on. A deleted object keeps its row, holding its Tombstone.
CREATE TABLE objects (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('organisation', 'place', 'activity', 'course')),
    owner              TEXT NOT NULL,
    document           TEXT NOT NULL,
    source_key         TEXT,
    published          TEXT NOT NULL,
    updated            TEXT NOT NULL,
    deleted            TEXT,
    name               TEXT,
    municipality_code  TEXT,
    neighbourhood_code TEXT,
    latitude           REAL,
    longitude          REAL,
    sport              TEXT,
    valid_through      TEXT
);
CREATE UNIQUE INDEX objects_by_source_key ON objects (owner, kind, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX objects_listing ON objects (kind, deleted, id);
CREATE INDEX objects_by_owner ON objects (owner, kind);

-- Which places an activity or course embeds, so a change to a place reaches them.
CREATE TABLE object_places (
    object_id TEXT NOT NULL REFERENCES objects (id),
    place_id  TEXT NOT NULL REFERENCES objects (id),
    PRIMARY KEY (object_id, place_id)
);
CREATE INDEX object_places_by_place ON object_places (place_id);
