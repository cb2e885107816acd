"""Vector tiles (ST_AsMVT) with a memory + disk cache, TileJSON, and raster tiles over COGs."""
