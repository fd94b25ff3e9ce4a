-- The search index's triggers (0005) made cheaper per object written, deriving the same rows.
--
-- What an object's refresh cost, measured (callgrind, user-space instructions per object inserted, on
-- real remote objects; the other triggers and the insert itself are ~0.42M): 0005 ~1.29M. Two changes:
--
-- 1. No temporary b-trees. SQLite builds one per object and statement for `x IN (SELECT ...)`, for an
--    IN list of three or more constants, for UNION and for DISTINCT (OP_OpenEphemeral; a trigger runs
--    each statement anew, so nothing is reused between objects). 0005's deletes alone built three, and
--    opening them is costly beyond their instructions (each gets its own page cache): with the deletes
--    written `= (SELECT n ...)` (id is UNIQUE, so at most one n) a paired run of the inserts took
--    ~965 us per object instead of ~1265. Here only the search_index insert keeps one (an INSERT ...
--    SELECT into a table with triggers, 0009's R*Tree, always goes through one) and a course's starts.
--
-- 2. The document is read in two multi-path calls. 0005's ~25 json_extract / json_type / json_each on
--    the document `d` (2-5 KB) are not 25 parses (SQLite 3.40 keeps the last 4 parsed texts of a
--    statement, ~0.3 us a call then), but json_each always parses anew, and 0005's larger statements
--    read more than 4 texts (d, p, sched, age, crit) and parse them again and again. Here the stage row
--    takes every member the derivation reads in two calls (`json_extract(d, '$.a', '$.b', ...)` parses
--    once and returns one JSON array holding each member as the document spells it, its JSON type kept):
--      sa  the scalars, read with json_extract / json_type
--      la  the members read as lists or objects (json_each, json_type), apart so that sa stays small
--    The place `p` is read from the same arrays when it is the document itself (a place) or an
--    activity's `location` object of type Place (nearly every activity); only for other shapes (a
--    course, whose place is in an instance; a list of locations) is `p` taken out of the document by
--    0005's own expression.
--
-- Both: ~1.10M instructions per object for the search triggers (-15%), ~960 us instead of ~1265 in the
-- paired run. Most of what is left is writing: the search_index row with its eight indexes (two of them
-- 21 columns wide) and its R*Tree point, the full-text row and the terms.
--
-- The index rows are the same as 0005's, so the rows already derived stay valid and are not refreshed.
-- Why they are the same, where the arrays differ from the document:
--   * a member that is missing and one that is JSON null are both `null` in the array. Where 0005 told
--     them apart (`json_type(d, '$.to') IS NULL`, an object with no addressing at all), this reads the
--     document itself, for the objects whose to and cc are both null or missing.
--   * json_each over a missing member yields no row, over the array's `null` one row of NULL; every use
--     below ignores it (a type filter, a comparison, min() or max() of NULL, a NULL start).
--   * `$.eventSchedule.startTime` and the like stand for json_extract(sched, '$.startTime'), which 0005
--     only read when the schedule is an object, where the two are the same.
-- tests/test_search_index_sql.py builds the index both ways and compares every row.

DROP TRIGGER search_refresh_apply;
DROP VIEW search_source;
DROP VIEW search_local;
DROP TABLE search_stage;
DROP TABLE search_base_stage;
DROP VIEW search_base;

-- Layer 1, the stage row of the object being refreshed (live objects only; whether it is public is
-- decided in layer 2, which reads `la`).
--   sa  [0] $.location.type  [1] $.startTime  [2] $.endTime  [3..6] $.eventSchedule's startTime,
--       endTime, startDate, endDate  [7..12] the criteria, in the order of protocol.objects.CRITERIA
--       [13] $.validThrough  [14] $.sport  [15] $.municipalityCode  [16] $.isAccessibleForFree
--       [17] $.name  [18] $.content  [19] $.summary
--       [20..25] the place's latitude, longitude, neighbourhoodCode, municipalityCode, name and
--       address.addressLocality: the document's own (a place) or its location's (the rest)
--   la  [0] $.to  [1] $.cc  [2] $.eventSchedule  [3] $.eventSchedule.byDay  [4] $.ageRange  [5] $.offers
--       [6] $.hasCourseInstance  [7] $.targetGroup  [8] $.accessibilitySupport
--       [9] the place's accessibilitySupport (as sa [20..25])
--   fast  1: sa [20..25] and la [9] are the place's (a place, or an activity whose location is a Place
--         object); 0: the place is `p`, set by the trigger below (NULL: an organisation, or no Place)
--   recurring, s_utc, e_utc  as in 0005; stored, not left to a view, because layer 2 reads them many
--         times and a view's column is computed again for every read
CREATE TABLE search_base_stage (
    id        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    origin    TEXT,
    updated   TEXT NOT NULL,
    sa        TEXT NOT NULL,
    la        TEXT NOT NULL,
    fast      INTEGER,
    p         TEXT,
    recurring INTEGER,
    s_utc     TEXT,
    e_utc     TEXT
);

-- Layer 2: public objects only, and the same columns as 0005's search_local (the place's fields are
-- p_* here, where 0005 read them out of p in layer 3).
CREATE VIEW search_local AS
SELECT b.id, b.kind, b.origin, b.updated, b.sa, b.la, b.fast, b.p, b.recurring, b.s_utc, b.e_utc,
       CASE WHEN s_utc IS NOT NULL THEN datetime(s_utc,
           CASE WHEN s_utc >= datetime(substr(s_utc, 1, 4) || '-03-31', '-6 days', 'weekday 0', '+1 hours')
                 AND s_utc < datetime(substr(s_utc, 1, 4) || '-10-31', '-6 days', 'weekday 0', '+1 hours')
                THEN '+2 hours' ELSE '+1 hours' END) END AS s_local,
       CASE WHEN e_utc IS NOT NULL THEN datetime(e_utc,
           CASE WHEN e_utc >= datetime(substr(e_utc, 1, 4) || '-03-31', '-6 days', 'weekday 0', '+1 hours')
                 AND e_utc < datetime(substr(e_utc, 1, 4) || '-10-31', '-6 days', 'weekday 0', '+1 hours')
                THEN '+2 hours' ELSE '+1 hours' END) END AS e_local,
       CASE WHEN fast THEN
                CASE WHEN json_type(sa, '$[20]') IN ('integer', 'real') AND json_type(sa, '$[21]') IN ('integer', 'real')
                     THEN json_extract(sa, '$[20]') END
            ELSE
                CASE WHEN json_type(p, '$.latitude') IN ('integer', 'real') AND json_type(p, '$.longitude') IN ('integer', 'real')
                     THEN json_extract(p, '$.latitude') END
       END AS lat,
       CASE WHEN fast THEN
                CASE WHEN json_type(sa, '$[20]') IN ('integer', 'real') AND json_type(sa, '$[21]') IN ('integer', 'real')
                     THEN json_extract(sa, '$[21]') END
            ELSE
                CASE WHEN json_type(p, '$.latitude') IN ('integer', 'real') AND json_type(p, '$.longitude') IN ('integer', 'real')
                     THEN json_extract(p, '$.longitude') END
       END AS lon,
       CASE kind
           WHEN 'activity' THEN (SELECT min(json_extract(f.value, '$.price')) FROM json_each(la, '$[5]') f)
           WHEN 'course' THEN
               (SELECT min(json_extract(f.value, '$.price'))
                FROM json_each(la, '$[6]') i, json_each(i.value, '$.offers') f)
       END AS price,
       coalesce(CASE WHEN fast THEN json_extract(sa, '$[22]') ELSE json_extract(p, '$.neighbourhoodCode') END, '') AS nb,
       CASE WHEN fast THEN json_extract(sa, '$[23]') ELSE json_extract(p, '$.municipalityCode') END AS p_municipality,
       CASE WHEN fast THEN json_extract(sa, '$[24]') ELSE json_extract(p, '$.name') END AS p_name,
       CASE WHEN fast THEN json_extract(sa, '$[25]') ELSE json_extract(p, '$.address.addressLocality') END AS p_locality
FROM search_base_stage b
-- Public: no addressing at all (a remote actor or place), or addressed to the public collection (three
-- equalities, not an IN list of three, which would build a temporary b-tree per object).
WHERE (json_type(la, '$[0]') = 'null' AND json_type(la, '$[1]') = 'null'
       -- null in the array: missing (no addressing) or JSON null (addressed to nobody); the document knows.
       AND (SELECT json_type(o.document, '$.to') IS NULL AND json_type(o.document, '$.cc') IS NULL
            FROM objects o WHERE o.id = b.id))
   OR EXISTS (SELECT 1 FROM json_each(la, '$[0]') a
              WHERE a.value = 'https://www.w3.org/ns/activitystreams#Public' OR a.value = 'as:Public' OR a.value = 'Public')
   OR EXISTS (SELECT 1 FROM json_each(la, '$[1]') a
              WHERE a.value = 'https://www.w3.org/ns/activitystreams#Public' OR a.value = 'as:Public' OR a.value = 'Public');

-- Layer 3: the columns of search_index, as in 0005, and what the terms and the course starts read.
CREATE VIEW search_source AS
SELECT id, kind,
       CASE WHEN origin IS NULL THEN 1 ELSE 0 END AS local,
       updated,
       json_extract(sa, '$[13]') AS valid_through,
       CASE WHEN json_type(sa, '$[14]') = 'text' THEN json_extract(sa, '$[14]') END AS sport,
       coalesce(p_municipality, json_extract(sa, '$[15]')) AS municipality,
       CASE WHEN nb LIKE 'BU%' THEN 'WK' || substr(nb, 3, 6) WHEN nb = '' THEN NULL ELSE nb END AS wijk,
       CASE WHEN nb LIKE 'BU%' THEN nb END AS buurt,
       lat, lon,
       cos(radians(lat)) * cos(radians(lon)) AS x,
       cos(radians(lat)) * sin(radians(lon)) AS y,
       sin(radians(lat)) AS z,
       CASE WHEN kind = 'activity' THEN json_extract(json_extract(la, '$[4]'), '$.minValue') END AS age_min,
       CASE WHEN kind = 'activity' THEN json_extract(json_extract(la, '$[4]'), '$.maxValue') END AS age_max,
       price,
       CASE WHEN json_type(sa, '$[16]') IS 'true' OR price = 0 THEN 1 ELSE 0 END AS free,
       recurring,
       CASE
           -- A bit per weekday named (0005: sum(DISTINCT ...), which builds a temporary b-tree). Only
           -- when every row is NULL is every max() NULL, and that is 0 as before.
           WHEN recurring = 1 THEN
               (SELECT coalesce(max(w.value = 'https://schema.org/Monday')
                                | (max(w.value = 'https://schema.org/Tuesday') << 1)
                                | (max(w.value = 'https://schema.org/Wednesday') << 2)
                                | (max(w.value = 'https://schema.org/Thursday') << 3)
                                | (max(w.value = 'https://schema.org/Friday') << 4)
                                | (max(w.value = 'https://schema.org/Saturday') << 5)
                                | (max(w.value = 'https://schema.org/Sunday') << 6), 0)
                FROM json_each(la, '$[3]') w)
           WHEN s_local IS NOT NULL THEN 1 << ((CAST(strftime('%w', s_local) AS INTEGER) + 6) % 7)
           ELSE 0
       END AS days,
       CASE
           WHEN recurring = 1 THEN
               CAST(substr(json_extract(sa, '$[3]'), 1, 2) AS INTEGER) * 60
               + CAST(substr(json_extract(sa, '$[3]'), 4, 2) AS INTEGER)
           WHEN s_local IS NOT NULL THEN
               CAST(strftime('%H', s_local) AS INTEGER) * 60 + CAST(strftime('%M', s_local) AS INTEGER)
       END AS start_min,
       CASE
           WHEN recurring = 1 THEN
               CAST(substr(json_extract(sa, '$[4]'), 1, 2) AS INTEGER) * 60
               + CAST(substr(json_extract(sa, '$[4]'), 4, 2) AS INTEGER)
           WHEN s_local IS NOT NULL AND e_local IS NOT NULL THEN
               CASE WHEN date(e_local) > date(s_local) THEN 1440
                    ELSE CAST(strftime('%H', e_local) AS INTEGER) * 60 + CAST(strftime('%M', e_local) AS INTEGER) END
       END AS end_min,
       CASE WHEN recurring = 1 THEN
           CAST(strftime('%s', json_extract(sa, '$[5]')) AS INTEGER) / 86400 END AS sched_from,
       CASE WHEN recurring = 1 THEN
           CAST(strftime('%s', json_extract(sa, '$[6]')) AS INTEGER) / 86400 END AS sched_until,
       CASE WHEN kind = 'activity' THEN
           -- (<<, & and | share one precedence level in SQLite: every shift is parenthesised.)
           (json_type(sa, '$[7]') IS 'true')
           | ((json_type(sa, '$[8]') IS 'true') << 1)
           | ((json_type(sa, '$[9]') IS 'true') << 2)
           | ((json_type(sa, '$[10]') IS 'true') << 3)
           | ((json_type(sa, '$[11]') IS 'true') << 4)
           | ((json_type(sa, '$[12]') IS 'true') << 5)
       ELSE 0 END AS criteria,
       -- For the full-text table and the start times.
       json_extract(sa, '$[17]') AS text_name,
       -- Our own builder's HTML has only these three tags; without them "p" would match every description.
       replace(replace(replace(coalesce(json_extract(sa, '$[18]'), json_extract(sa, '$[19]')),
               '<p>', ' '), '</p>', ' '), '<br>', ' ') AS text_description,
       trim(coalesce(p_name, '') || ' ' || coalesce(p_locality, '')) AS text_place,
       CAST(strftime('%s', s_local) AS INTEGER) / 60 AS once_start,
       -- The concepts for search_terms, repeats included: target groups (activities), the object's own
       -- accessibility and its place's.
       (SELECT json_group_array(t.value) FROM (
            SELECT value FROM json_each(la, '$[7]') WHERE kind = 'activity' AND type = 'text'
            UNION ALL SELECT value FROM json_each(la, '$[8]') WHERE type = 'text'
            UNION ALL SELECT value FROM json_each(la, '$[9]') WHERE fast AND type = 'text'
            UNION ALL SELECT value FROM json_each(coalesce(p, '{}'), '$.accessibilitySupport')
                      WHERE NOT fast AND type = 'text') t) AS terms,
       la
FROM search_local;

-- The derived row of the object being refreshed, evaluated once (the statements below read it many times).
CREATE TABLE search_stage AS SELECT * FROM search_source LIMIT 0;

CREATE TRIGGER search_refresh_apply AFTER INSERT ON search_refresh
BEGIN
    -- `= (SELECT ...)`, not IN: see the top.
    DELETE FROM search_text WHERE rowid = (SELECT n FROM search_index WHERE id = new.id);
    DELETE FROM search_terms WHERE n = (SELECT n FROM search_index WHERE id = new.id);
    DELETE FROM search_starts WHERE n = (SELECT n FROM search_index WHERE id = new.id);
    DELETE FROM search_index WHERE id = new.id;

    -- The only two full parses of the document (for most objects).
    INSERT INTO search_base_stage (id, kind, origin, updated, sa, la)
    SELECT o.id, o.kind, o.origin, o.updated,
           json_extract(o.document, '$.location.type', '$.startTime', '$.endTime',
               '$.eventSchedule.startTime', '$.eventSchedule.endTime', '$.eventSchedule.startDate',
               '$.eventSchedule.endDate', '$.openToVulnerableGroups', '$.acceptsNewParticipants',
               '$.startsNewGroups', '$.safeGuidance', '$.qualityAndContinuity', '$.givesFeedbackToProfessionals',
               '$.validThrough', '$.sport', '$.municipalityCode', '$.isAccessibleForFree',
               '$.name', '$.content', '$.summary',
               o.at || '.latitude', o.at || '.longitude', o.at || '.neighbourhoodCode',
               o.at || '.municipalityCode', o.at || '.name', o.at || '.address.addressLocality'),
           json_extract(o.document, '$.to', '$.cc', '$.eventSchedule', '$.eventSchedule.byDay', '$.ageRange',
               '$.offers', '$.hasCourseInstance', '$.targetGroup', '$.accessibilitySupport',
               o.at || '.accessibilitySupport')
    FROM (SELECT *, CASE kind WHEN 'place' THEN '$' ELSE '$.location' END AS at FROM objects) o
    WHERE o.id = new.id AND o.deleted IS NULL;

    UPDATE search_base_stage SET
        fast = kind = 'place' OR (kind = 'activity' AND json_extract(sa, '$[0]') IS 'Place'),
        recurring = CASE WHEN kind = 'activity' AND json_type(la, '$[2]') = 'object' THEN 1 ELSE 0 END,
        s_utc = CASE WHEN kind = 'activity' AND json_type(la, '$[2]') IS NOT 'object'
                     THEN datetime(json_extract(sa, '$[1]')) END,
        e_utc = CASE WHEN kind = 'activity' AND json_type(la, '$[2]') IS NOT 'object'
                     THEN datetime(json_extract(sa, '$[2]')) END
    WHERE id = new.id;

    -- Any other place: 0005's expression, on the document (a course; an activity with a list of locations).
    UPDATE search_base_stage SET
        p = (SELECT CASE o.kind
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
                            (SELECT json_extract(i.value, '$.location')
                             FROM json_each(o.document, '$.hasCourseInstance') i
                             WHERE json_extract(i.value, '$.location.type') = 'Place' LIMIT 1)
                    END
             FROM objects o WHERE o.id = new.id)
    WHERE id = new.id AND NOT fast AND kind IN ('activity', 'course');

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

    -- Each term once: a repeat is dropped here, by the list itself (DISTINCT or UNION would build a
    -- temporary b-tree per object).
    INSERT INTO search_terms (term, n)
    SELECT t.value, i.n
    FROM search_index i, search_stage s, json_each(s.terms) t
    WHERE i.id = new.id AND s.id = new.id
      AND NOT EXISTS (SELECT 1 FROM json_each(s.terms) u WHERE u.key < t.key AND u.value = t.value);

    INSERT INTO search_starts (n, start, until)
    SELECT i.n, s.once_start, s.once_start
    FROM search_index i, search_stage s
    WHERE i.id = new.id AND s.id = new.id AND s.once_start IS NOT NULL;

    -- DISTINCT, not OR IGNORE: inside a trigger the outer statement's conflict policy would override it.
    -- (Courses only: the temporary b-tree of DISTINCT is built for few objects.)
    INSERT INTO search_starts (n, start, until)
    SELECT DISTINCT i.n, CAST(strftime('%s', json_extract(c.value, '$.startDate')) AS INTEGER) / 60,
           CAST(strftime('%s', json_extract(c.value, '$.startDate')) AS INTEGER) / 60 + 1439
    FROM search_index i, search_stage s, json_each(s.la, '$[6]') c
    WHERE i.id = new.id AND s.id = new.id AND s.kind = 'course'
      AND strftime('%s', json_extract(c.value, '$.startDate')) IS NOT NULL;

    DELETE FROM search_stage WHERE id = new.id;
    DELETE FROM search_base_stage WHERE id = new.id;
    DELETE FROM search_refresh WHERE id = new.id;
END;
