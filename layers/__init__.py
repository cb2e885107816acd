"""The layer catalog: ingest, versions, access levels, collections and data-quality rules."""
