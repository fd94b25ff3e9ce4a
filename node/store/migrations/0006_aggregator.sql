-- Aggregators: where each remote object came from, and how far each followed outbox has been read.

-- origin: the actor (or host root) whose host owns the object; via: the actors that brought it to us,
-- in the order first seen (the origin itself, or the aggregators that announced it), as a JSON array.
CREATE TABLE provenance (
    object_id    TEXT PRIMARY KEY,
    origin       TEXT NOT NULL,
    via          TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_changed TEXT NOT NULL
);

-- The last outbox page read of each followed actor: backfill starts at the first page, reconcile goes
-- on from here, so a delivery that never came is picked up without reading everything again.
ALTER TABLE following ADD COLUMN cursor TEXT;
