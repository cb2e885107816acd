"""The compiled (numba) parsing kernel, always equal to ``parse_reference``."""
