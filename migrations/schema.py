"""Every table of dizhi, declared once; this MetaData is Alembic's ``target_metadata``.

Runtime code mostly writes SQL with bound parameters; these declarations are the reference for the
columns and are what migrations are generated from. Geometries are stored in EPSG:4326.

The tables are declared one module per domain under :mod:`migrations.tables`; importing them here
puts every table on the one ``metadata``.
"""

from migrations.tables import buildings, core, energy, hotline, layers, registry
from migrations.tables.base import ACCESS_LEVELS, ROLES, include_object, metadata
from migrations.tables.buildings import BUILDING_MATCH_KINDS, BUILDING_REVIEW_STATUSES
from migrations.tables.core import ADDRESS_STATUSES, ADMIN_LEVELS
from migrations.tables.layers import RASTER_KINDS

__all__ = ["ACCESS_LEVELS", "ADDRESS_STATUSES", "ADMIN_LEVELS", "BUILDING_MATCH_KINDS",
           "BUILDING_REVIEW_STATUSES", "RASTER_KINDS", "ROLES", "buildings", "core", "energy",
           "hotline", "include_object", "layers", "metadata", "registry"]
