"""The register: standard addresses with history, sources, imports, conflicts, objections."""
