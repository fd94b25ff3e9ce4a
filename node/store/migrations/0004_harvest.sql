-- Harvesting OpenActive RPDE feeds (`sportnode import --rpde URL`) into this node.
--
-- The harvested objects themselves are ordinary objects of this node (organisations, places, activities,
-- courses, `origin` NULL): the publisher joins the network through us. These tables only remember where
-- each feed stopped and which of our objects each feed item became.

-- Per feed: where the next run starts, and the `modified` of the last item applied (RPDE's `modified`
-- never goes backwards; a page that does is refused). Saved in the same transaction as the page.
CREATE TABLE harvest_feeds (
    feed_url      TEXT PRIMARY KEY,
    next_url      TEXT NOT NULL,
    last_modified INTEGER,
    pages         INTEGER NOT NULL DEFAULT 0,
    items         INTEGER NOT NULL DEFAULT 0,
    harvested     TEXT NOT NULL
);

-- Per feed item: the object of ours it became (an activity, or for a CourseInstance the course it is an
-- instance of), so that a deleted item (which carries no data, so no organizer) finds what to delete.
-- Course instances also keep their write-API input: a course is rebuilt from all its live instances.
CREATE TABLE harvest_items (
    feed_url   TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('activity', 'course')),
    object_id  TEXT NOT NULL,
    course_key TEXT,
    instance   TEXT,
    PRIMARY KEY (feed_url, item_id)
);
CREATE INDEX harvest_items_by_course ON harvest_items (feed_url, course_key) WHERE course_key IS NOT NULL;

-- Which organisation of ours each harvested organizer became (key: the publisher's site + organizer id).
CREATE TABLE harvest_organisations (
    source_key      TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL
);
