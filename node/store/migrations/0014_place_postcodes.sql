-- Places by postal code, for the search page's postcode field (store/search_pages.py): there is no postcode
-- dataset in the project, so a postcode is placed at the mean position of the places the node holds with it.
-- The key is the postal code without spaces, in capitals ("3811 ab" -> "3811AB"); a range on it finds a
-- 4-digit area. Partial: only live places are keyed, so other writes never parse their document for it.
CREATE INDEX objects_by_postcode
    ON objects (upper(replace(json_extract(document, '$.address.postalCode'), ' ', '')))
    WHERE kind = 'place' AND deleted IS NULL;
