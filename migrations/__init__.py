"""Alembic migrations and the one schema module (:mod:`migrations.schema`) they are built from."""
