"""The layer catalog: layers, versions, access levels, ingest, collections, quality rules."""
