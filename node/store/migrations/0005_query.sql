-- The query API's index: what /api/search filters, sorts and counts on, derived from each object's document.
--
-- Like the RPDE feeds (0003), the index is kept by triggers on `objects`, so no writer (ours, the inbox,
-- the aggregator) can forget it, and it is read from the document itself, so it can never disagree with
-- what we serve. Every change to an object queues its id in `search_refresh`; the trigger on that table
-- forgets what the index held for the id and derives it anew (or nothing, for a Tombstone, a deleted row
-- or a non-public object). One definition serves inserts, updates, deletes and the backfill below.
--
-- Rows are keyed by their own INTEGER PRIMARY KEY `n` (not objects' implicit rowid, which VACUUM may
-- renumber); the full-text table, the terms and the start times refer to `n`.

-- One row per searchable object.
--   local         1 for our own objects (origin IS NULL)
--   wijk / buurt  the CBS wijk (WKxxxxxx; also for a place given by buurt) and the buurt code (BUxxxxxxxx)
--   x, y, z       the unit vector of (lat, lon): a distance filter is then a dot product, no trigonometry per row
--   price         the lowest offer price; free: isAccessibleForFree, or an offer of 0
--   days          weekdays as bits (Monday = 1, ..., Sunday = 64): a schedule's byDay, or a one-off's
--                 Amsterdam weekday
--   start_min / end_min  minutes after local midnight; a one-off that ends on a later day ends at 1440
--   sched_from / sched_until  a schedule's startDate / endDate as days since 1970-01-01
--   criteria      the buurtsportcoach criteria as bits, in the order of protocol.objects.CRITERIA
CREATE TABLE search_index (
    n             INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    local         INTEGER NOT NULL,
    updated       TEXT NOT NULL,
    valid_through TEXT,
    sport         TEXT,
    municipality  TEXT,
    wijk          TEXT,
    buurt         TEXT,
    lat           REAL,
    lon           REAL,
    x             REAL,
    y             REAL,
    z             REAL,
    age_min       INTEGER,
    age_max       INTEGER,
    price         REAL,
    free          INTEGER NOT NULL,
    recurring     INTEGER NOT NULL,
    days          INTEGER NOT NULL,
    start_min     INTEGER,
    end_min       INTEGER,
    sched_from    INTEGER,
    sched_until   INTEGER,
    criteria      INTEGER NOT NULL
);
CREATE INDEX search_by_updated ON search_index (updated, id);
CREATE INDEX search_by_kind ON search_index (kind, updated, id);
CREATE INDEX search_by_sport ON search_index (sport);
CREATE INDEX search_by_municipality ON search_index (municipality);
CREATE INDEX search_by_wijk ON search_index (wijk);
CREATE INDEX search_by_buurt ON search_index (buurt) WHERE buurt IS NOT NULL;
CREATE INDEX search_by_position ON search_index (lat, lon) WHERE lat IS NOT NULL;

-- Multi-valued concepts: target groups (activities) and accessibility (the object's own and its place's).
-- Concept URIs are namespaced per list, so one column tells them apart.
CREATE TABLE search_terms (
    term TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (term, n)
) WITHOUT ROWID;
CREATE INDEX search_terms_by_n ON search_terms (n);

-- Dated starts of what is not on a weekly schedule, as Amsterdam wall-clock minutes since 1970-01-01:
-- a one-off activity (upcoming until it starts) and each course instance (upcoming until its day ends).
CREATE TABLE search_starts (
    n       INTEGER NOT NULL,
    start   INTEGER NOT NULL,
    until   INTEGER NOT NULL,
    PRIMARY KEY (n, start)
) WITHOUT ROWID;

-- Free text: name, description (content, else summary), and the place's name and locality.
CREATE VIRTUAL TABLE search_text USING fts5 (name, description, place, tokenize = 'unicode61 remove_diacritics 2');

-- What the index derives from, layer by layer (SQLite flattens these views into the trigger's query).
-- Layer 1: live, public objects; `p` is the place that locates them (a place itself; an activity's
-- location, or the first Place of a list; a course's first instance that has a Place); s_utc / e_utc
-- are a one-off's start and end in UTC.
CREATE VIEW search_base AS
SELECT o.id, o.kind, o.origin, o.updated, o.document AS d,
       CASE o.kind
           WHEN 'place' THEN o.document
           WHEN 'activity' THEN
               CASE json_type(o.document, '$.location')
                   WHEN 'object' THEN
                       CASE WHEN json_extract(o.document, '$.location.type') = 'Place'
                            THEN json_extract(o.document, '$.location') END
                   WHEN 'array' THEN
                       (SELECT l.value FROM json_each(o.document, '$.location') l
                        WHERE json_extract(l.value, '$.type') = 'Place' LIMIT 1)
               END
           WHEN 'course' THEN
               (SELECT json_extract(i.value, '$.location') FROM json_each(o.document, '$.hasCourseInstance') i
                WHERE json_extract(i.value, '$.location.type') = 'Place' LIMIT 1)
       END AS p,
       CASE WHEN o.kind = 'activity' AND json_type(o.document, '$.eventSchedule') = 'object' THEN 1 ELSE 0 END
           AS recurring,
       CASE WHEN o.kind = 'activity' AND json_type(o.document, '$.eventSchedule') IS NOT 'object'
            THEN datetime(json_extract(o.document, '$.startTime')) END AS s_utc,
       CASE WHEN o.kind = 'activity' AND json_type(o.document, '$.eventSchedule') IS NOT 'object'
            THEN datetime(json_extract(o.document, '$.endTime')) END AS e_utc,
       -- Small parts of the document, taken out once so that layer 3 parses them instead of the whole.
       CASE WHEN o.kind = 'activity' THEN json_extract(o.document, '$.eventSchedule') END AS sched,
       CASE WHEN o.kind = 'activity' THEN json_extract(o.document, '$.ageRange') END AS age,
       CASE WHEN o.kind = 'activity' THEN json_extract(o.document, '$.openToVulnerableGroups', '$.acceptsNewParticipants',
           '$.startsNewGroups', '$.safeGuidance', '$.qualityAndContinuity', '$.givesFeedbackToProfessionals') END AS crit
FROM objects o
WHERE o.deleted IS NULL
  -- Public: no addressing at all (a remote actor or place), or addressed to the public collection.
  AND ((json_type(o.document, '$.to') IS NULL AND json_type(o.document, '$.cc') IS NULL)
       OR EXISTS (SELECT 1 FROM json_each(o.document, '$.to') a
                  WHERE a.value IN ('https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'Public'))
       OR EXISTS (SELECT 1 FROM json_each(o.document, '$.cc') a
                  WHERE a.value IN ('https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'Public')));

-- Layer 1 of the object being refreshed, evaluated once: a view is flattened into its users, so without
-- this table `p` (a subquery over the document) would be computed again for every column that reads it.
CREATE TABLE search_base_stage AS SELECT * FROM search_base LIMIT 0;

-- Layer 2: a one-off's start and end as Amsterdam wall-clock time. The EU rule (since 1996): summer time
-- (+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October, else +1.
CREATE VIEW search_local AS
SELECT b.*,
       CASE WHEN s_utc IS NOT NULL THEN datetime(s_utc,
           CASE WHEN s_utc >= datetime(substr(s_utc, 1, 4) || '-03-31', '-6 days', 'weekday 0', '+1 hours')
                 AND s_utc < datetime(substr(s_utc, 1, 4) || '-10-31', '-6 days', 'weekday 0', '+1 hours')
                THEN '+2 hours' ELSE '+1 hours' END) END AS s_local,
       CASE WHEN e_utc IS NOT NULL THEN datetime(e_utc,
           CASE WHEN e_utc >= datetime(substr(e_utc, 1, 4) || '-03-31', '-6 days', 'weekday 0', '+1 hours')
                 AND e_utc < datetime(substr(e_utc, 1, 4) || '-10-31', '-6 days', 'weekday 0', '+1 hours')
                THEN '+2 hours' ELSE '+1 hours' END) END AS e_local,
       CASE WHEN json_type(p, '$.latitude') IN ('integer', 'real') AND json_type(p, '$.longitude') IN ('integer', 'real')
            THEN json_extract(p, '$.latitude') END AS lat,
       CASE WHEN json_type(p, '$.latitude') IN ('integer', 'real') AND json_type(p, '$.longitude') IN ('integer', 'real')
            THEN json_extract(p, '$.longitude') END AS lon,
       CASE kind
           WHEN 'activity' THEN (SELECT min(json_extract(f.value, '$.price')) FROM json_each(d, '$.offers') f)
           WHEN 'course' THEN
               (SELECT min(json_extract(f.value, '$.price'))
                FROM json_each(d, '$.hasCourseInstance') i, json_each(i.value, '$.offers') f)
       END AS price,
       coalesce(json_extract(p, '$.neighbourhoodCode'), '') AS nb
FROM search_base_stage b;

-- Layer 3: the columns of search_index.
CREATE VIEW search_source AS
SELECT id, kind,
       CASE WHEN origin IS NULL THEN 1 ELSE 0 END AS local,
       updated,
       json_extract(d, '$.validThrough') AS valid_through,
       CASE WHEN json_type(d, '$.sport') = 'text' THEN json_extract(d, '$.sport') END AS sport,
       coalesce(json_extract(p, '$.municipalityCode'), json_extract(d, '$.municipalityCode')) AS municipality,
       CASE WHEN nb LIKE 'BU%' THEN 'WK' || substr(nb, 3, 6) WHEN nb = '' THEN NULL ELSE nb END AS wijk,
       CASE WHEN nb LIKE 'BU%' THEN nb END AS buurt,
       lat, lon,
       cos(radians(lat)) * cos(radians(lon)) AS x,
       cos(radians(lat)) * sin(radians(lon)) AS y,
       sin(radians(lat)) AS z,
       CASE WHEN kind = 'activity' THEN json_extract(age, '$.minValue') END AS age_min,
       CASE WHEN kind = 'activity' THEN json_extract(age, '$.maxValue') END AS age_max,
       price,
       CASE WHEN json_type(d, '$.isAccessibleForFree') IS 'true' OR price = 0 THEN 1 ELSE 0 END AS free,
       recurring,
       CASE
           WHEN recurring = 1 THEN
               (SELECT coalesce(sum(DISTINCT CASE w.value
                    WHEN 'https://schema.org/Monday' THEN 1 WHEN 'https://schema.org/Tuesday' THEN 2
                    WHEN 'https://schema.org/Wednesday' THEN 4 WHEN 'https://schema.org/Thursday' THEN 8
                    WHEN 'https://schema.org/Friday' THEN 16 WHEN 'https://schema.org/Saturday' THEN 32
                    WHEN 'https://schema.org/Sunday' THEN 64 ELSE 0 END), 0)
                FROM json_each(sched, '$.byDay') w)
           WHEN s_local IS NOT NULL THEN 1 << ((CAST(strftime('%w', s_local) AS INTEGER) + 6) % 7)
           ELSE 0
       END AS days,
       CASE
           WHEN recurring = 1 THEN
               CAST(substr(json_extract(sched, '$.startTime'), 1, 2) AS INTEGER) * 60
               + CAST(substr(json_extract(sched, '$.startTime'), 4, 2) AS INTEGER)
           WHEN s_local IS NOT NULL THEN
               CAST(strftime('%H', s_local) AS INTEGER) * 60 + CAST(strftime('%M', s_local) AS INTEGER)
       END AS start_min,
       CASE
           WHEN recurring = 1 THEN
               CAST(substr(json_extract(sched, '$.endTime'), 1, 2) AS INTEGER) * 60
               + CAST(substr(json_extract(sched, '$.endTime'), 4, 2) AS INTEGER)
           WHEN s_local IS NOT NULL AND e_local IS NOT NULL THEN
               CASE WHEN date(e_local) > date(s_local) THEN 1440
                    ELSE CAST(strftime('%H', e_local) AS INTEGER) * 60 + CAST(strftime('%M', e_local) AS INTEGER) END
       END AS end_min,
       CASE WHEN recurring = 1 THEN
           CAST(strftime('%s', json_extract(sched, '$.startDate')) AS INTEGER) / 86400 END AS sched_from,
       CASE WHEN recurring = 1 THEN
           CAST(strftime('%s', json_extract(sched, '$.endDate')) AS INTEGER) / 86400 END AS sched_until,
       CASE WHEN kind = 'activity' THEN
           -- (<<, & and | share one precedence level in SQLite: every shift is parenthesised.)
           (json_type(crit, '$[0]') IS 'true')
           | ((json_type(crit, '$[1]') IS 'true') << 1)
           | ((json_type(crit, '$[2]') IS 'true') << 2)
           | ((json_type(crit, '$[3]') IS 'true') << 3)
           | ((json_type(crit, '$[4]') IS 'true') << 4)
           | ((json_type(crit, '$[5]') IS 'true') << 5)
       ELSE 0 END AS criteria,
       -- For the full-text table and the start times.
       json_extract(d, '$.name') AS text_name,
       -- Our own builder's HTML has only these three tags; without them "p" would match every description.
       replace(replace(replace(coalesce(json_extract(d, '$.content'), json_extract(d, '$.summary')),
               '<p>', ' '), '</p>', ' '), '<br>', ' ') AS text_description,
       trim(coalesce(json_extract(p, '$.name'), '') || ' ' || coalesce(json_extract(p, '$.address.addressLocality'), ''))
           AS text_place,
       CAST(strftime('%s', s_local) AS INTEGER) / 60 AS once_start,
       d, p
FROM search_local;

CREATE TABLE search_refresh (id TEXT PRIMARY KEY);

-- The derived row of the object being refreshed, evaluated once: every json_extract parses the whole
-- document (SQLite 3.40 has no parse cache), so the statements below read this row, not the view.
CREATE TABLE search_stage AS SELECT * FROM search_source LIMIT 0;

CREATE TRIGGER search_refresh_apply AFTER INSERT ON search_refresh
BEGIN
    DELETE FROM search_text WHERE rowid IN (SELECT n FROM search_index WHERE id = new.id);
    DELETE FROM search_terms WHERE n IN (SELECT n FROM search_index WHERE id = new.id);
    DELETE FROM search_starts WHERE n IN (SELECT n FROM search_index WHERE id = new.id);
    DELETE FROM search_index WHERE id = new.id;

    INSERT INTO search_base_stage SELECT * FROM search_base WHERE id = new.id;
    INSERT INTO search_stage SELECT * FROM search_source WHERE id = new.id;

    INSERT INTO search_index (id, kind, local, updated, valid_through, sport, municipality, wijk, buurt,
                              lat, lon, x, y, z, age_min, age_max, price, free, recurring, days,
                              start_min, end_min, sched_from, sched_until, criteria)
    SELECT id, kind, local, updated, valid_through, sport, municipality, wijk, buurt,
           lat, lon, x, y, z, age_min, age_max, price, free, recurring, days,
           start_min, end_min, sched_from, sched_until, criteria
    FROM search_stage WHERE id = new.id;

    INSERT INTO search_text (rowid, name, description, place)
    SELECT i.n, s.text_name, s.text_description, s.text_place
    FROM search_index i, search_stage s WHERE i.id = new.id AND s.id = new.id;

    INSERT INTO search_terms (term, n)
    SELECT DISTINCT t.value, i.n
    FROM search_index i, search_stage s, json_each(s.d, '$.targetGroup') t
    WHERE i.id = new.id AND s.id = new.id AND s.kind = 'activity' AND t.type = 'text'
    UNION
    SELECT a.value, i.n
    FROM search_index i, search_stage s, json_each(s.d, '$.accessibilitySupport') a
    WHERE i.id = new.id AND s.id = new.id AND a.type = 'text'
    UNION
    SELECT a.value, i.n
    FROM search_index i, search_stage s, json_each(coalesce(s.p, '{}'), '$.accessibilitySupport') a
    WHERE i.id = new.id AND s.id = new.id AND a.type = 'text';

    INSERT INTO search_starts (n, start, until)
    SELECT i.n, s.once_start, s.once_start
    FROM search_index i, search_stage s
    WHERE i.id = new.id AND s.id = new.id AND s.once_start IS NOT NULL;

    -- DISTINCT, not OR IGNORE: inside a trigger the outer statement's conflict policy would override it.
    INSERT INTO search_starts (n, start, until)
    SELECT DISTINCT i.n, CAST(strftime('%s', json_extract(c.value, '$.startDate')) AS INTEGER) / 60,
           CAST(strftime('%s', json_extract(c.value, '$.startDate')) AS INTEGER) / 60 + 1439
    FROM search_index i, search_stage s, json_each(s.d, '$.hasCourseInstance') c
    WHERE i.id = new.id AND s.id = new.id AND s.kind = 'course'
      AND strftime('%s', json_extract(c.value, '$.startDate')) IS NOT NULL;

    DELETE FROM search_stage WHERE id = new.id;
    DELETE FROM search_base_stage WHERE id = new.id;
    DELETE FROM search_refresh WHERE id = new.id;
END;

CREATE TRIGGER search_on_insert AFTER INSERT ON objects
BEGIN
    INSERT INTO search_refresh (id) VALUES (new.id);
END;

CREATE TRIGGER search_on_update AFTER UPDATE ON objects
WHEN old.document IS NOT new.document OR old.deleted IS NOT new.deleted OR old.origin IS NOT new.origin
  OR old.kind IS NOT new.kind OR old.id IS NOT new.id
BEGIN
    INSERT INTO search_refresh (id) VALUES (old.id);
    INSERT INTO search_refresh (id) SELECT new.id WHERE new.id IS NOT old.id;
END;

CREATE TRIGGER search_on_delete AFTER DELETE ON objects
BEGIN
    INSERT INTO search_refresh (id) VALUES (old.id);
END;

-- What is there already.
INSERT INTO search_refresh (id) SELECT id FROM objects ORDER BY id;
