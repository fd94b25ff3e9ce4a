-- Inbound activities answered 202 but not acted on (a Like, a Create of a Note, an Announce of
-- something not ours to relay), counted by what they were: the operator sees what peers send that
-- this node leaves aside (`sportnode following`). Nothing of the activities themselves is kept.
CREATE TABLE inbox_ignored (
    label     TEXT PRIMARY KEY,
    count     INTEGER NOT NULL,
    last_seen TEXT NOT NULL
);
