-- Outboxes of origin nodes that an aggregator we follow announced as a whole ("I now carry this node"):
-- we read them ourselves, page by page, from the origin's own host. One row per (origin, via), so
-- every path an object reached us by is in its provenance; `done` stays NULL until the last page was
-- read, so a read cut short by a crash is resumed by the next reconcile from `cursor`.
CREATE TABLE origin_syncs (
    origin    TEXT NOT NULL,
    via       TEXT NOT NULL,
    cursor    TEXT,
    requested TEXT NOT NULL,
    done      TEXT,
    PRIMARY KEY (origin, via)
);
