"""HTTP API, command line and web pages of dizhi: turns requests into domain calls and back."""
