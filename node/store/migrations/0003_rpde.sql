-- RPDE feeds (OpenActive): which feed each object appears in, and the sequence number of its latest change.
--
-- `seq` is the RPDE `modified` value. AUTOINCREMENT never hands out a number twice, not even after the
-- row holding the largest one is deleted, so `modified` never goes backwards, however many changes fall
-- within one second. Triggers on `objects` keep this table, so no writer can forget it: every insert,
-- every change of a document and every Tombstone appends new rows with larger seqs and drops the old ones.
-- (Append and delete rather than INSERT OR REPLACE: inside a trigger, SQLite applies the conflict policy
-- of the outer statement, and put_object's upsert would turn REPLACE back into ABORT.)
--
-- An object has one row per feed it has ever been in: an activity that turns from recurring into one-off
-- keeps its row in `session-series` (where it now reads as deleted) and gains one in `events`.
-- `width` is the most feed items the object ever stood for (course instances), so an instance that was
-- dropped from a course is still announced as deleted.
-- `changed_ms` is the wall-clock time of the change (Unix ms): feeds hold back the last 2 seconds.
CREATE TABLE rpde_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    feed       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    changed_ms INTEGER NOT NULL,
    width      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX rpde_changes_by_feed ON rpde_changes (feed, seq);
CREATE INDEX rpde_changes_by_time ON rpde_changes (changed_ms);
CREATE INDEX rpde_changes_by_object ON rpde_changes (object_id);

-- The feed an object's current document belongs to (NULL: none).
CREATE VIEW rpde_feed_of (id, feed, width) AS
SELECT id,
       CASE kind
           WHEN 'organisation' THEN 'organizations'
           WHEN 'place' THEN 'places'
           WHEN 'course' THEN 'course-instances'
           WHEN 'activity' THEN
               CASE WHEN json_extract(document, '$.eventSchedule') IS NOT NULL THEN 'session-series'
                    ELSE 'events' END
       END,
       max(1, coalesce(json_array_length(document, '$.hasCourseInstance'), 1))
FROM objects WHERE deleted IS NULL;

-- What is there already, in the order it was last changed.
INSERT INTO rpde_changes (feed, object_id, changed_ms, width)
SELECT f.feed, f.id, CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER), f.width
FROM rpde_feed_of f JOIN objects o ON o.id = f.id
WHERE f.feed IS NOT NULL
ORDER BY o.updated, o.id;

CREATE TRIGGER rpde_on_insert AFTER INSERT ON objects
BEGIN
    INSERT INTO rpde_changes (feed, object_id, changed_ms, width)
    SELECT feed, id, CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER), width
    FROM rpde_feed_of WHERE id = new.id AND feed IS NOT NULL;
END;

CREATE TRIGGER rpde_on_update AFTER UPDATE OF document, deleted ON objects
WHEN old.document IS NOT new.document OR old.deleted IS NOT new.deleted
BEGIN
    -- Every feed the object was in sees the change: there it is updated, or (Tombstone, or moved to
    -- another feed) deleted.
    INSERT INTO rpde_changes (feed, object_id, changed_ms, width)
    SELECT c.feed, c.object_id, CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER),
           max(c.width, coalesce((SELECT width FROM rpde_feed_of WHERE id = new.id), 1))
    FROM rpde_changes c WHERE c.object_id = new.id ORDER BY c.seq;
    -- And the feed it belongs to now, if that is a new one.
    INSERT INTO rpde_changes (feed, object_id, changed_ms, width)
    SELECT feed, id, CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER), width
    FROM rpde_feed_of
    WHERE id = new.id AND feed IS NOT NULL
      AND feed NOT IN (SELECT feed FROM rpde_changes WHERE object_id = new.id);
    -- Only the newest row per feed stays.
    DELETE FROM rpde_changes
    WHERE object_id = new.id
      AND seq NOT IN (SELECT max(seq) FROM rpde_changes WHERE object_id = new.id GROUP BY feed);
END;
