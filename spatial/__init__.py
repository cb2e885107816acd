"""Coordinates, admin areas and grids, buildings and heights: the spatial side of dizhi."""
