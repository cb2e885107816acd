"""Forward geocoding (a pipeline of searches), reverse, suggest and batch; their SQL."""
