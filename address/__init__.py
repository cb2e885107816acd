"""Standard addresses: the pure core (normalize, parse, format, match, extract) and the registry."""
