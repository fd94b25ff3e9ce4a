-- Pruning (federation/hygiene.py): inbox_seen and failed_deliveries are cleared of rows older than a
-- documented period; these indexes make that a range delete instead of a scan of every row.
CREATE INDEX inbox_seen_by_received ON inbox_seen (received);
CREATE INDEX failed_deliveries_by_failed ON failed_deliveries (failed);
