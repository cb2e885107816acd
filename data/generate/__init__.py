"""Seeded generators of the synthetic parts of data/sample; never imported at run time."""
