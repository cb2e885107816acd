"""Buildings: ingest, conflation, heights, address links, review, LoD1, queries."""
