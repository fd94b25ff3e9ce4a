-- The SPARQL graph's change log: which objects changed since the graph store last caught up.
--
-- The SPARQL worker (node/services/sparql_worker.py) holds every live object as RDF in an Oxigraph store
-- beside this database, and before it answers a query it applies every row with a seq above the last one
-- it applied. Triggers on `objects` keep the log, as they keep the RPDE feeds (0003) and the search index
-- (0005), so no writer (the write API, the inbox, backfill, the aggregator) can forget it.
--
-- One row per object: every change appends a row with a larger seq (AUTOINCREMENT never hands a number
-- out twice) and drops the object's older one, so the table never holds more rows than `objects`, and a
-- reader that walks it in seq order meets each changed object once, with its current document.
CREATE TABLE sparql_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id TEXT NOT NULL
);
CREATE INDEX sparql_changes_by_object ON sparql_changes (object_id);

-- What is there already.
INSERT INTO sparql_changes (object_id) SELECT id FROM objects ORDER BY updated, id;

CREATE TRIGGER sparql_on_insert AFTER INSERT ON objects
BEGIN
    DELETE FROM sparql_changes WHERE object_id = new.id;
    INSERT INTO sparql_changes (object_id) VALUES (new.id);
END;

CREATE TRIGGER sparql_on_update AFTER UPDATE OF document, deleted ON objects
WHEN old.document IS NOT new.document OR old.deleted IS NOT new.deleted
BEGIN
    DELETE FROM sparql_changes WHERE object_id = new.id;
    INSERT INTO sparql_changes (object_id) VALUES (new.id);
END;

-- A row removed outright (an aggregator dropping an unfollowed node's objects) leaves the graph too.
CREATE TRIGGER sparql_on_delete AFTER DELETE ON objects
BEGIN
    DELETE FROM sparql_changes WHERE object_id = old.id;
    INSERT INTO sparql_changes (object_id) VALUES (old.id);
END;
