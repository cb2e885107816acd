"""Importing address sources at steward scale (see :mod:`address.register.imports.chunk` for what
becomes of a row).

An import is staged, then run chunk by chunk, then finished:

1. :func:`run.create_import` and :func:`stage_rows`: the file's rows COPY'd into ``import_row``;
2. :func:`run_chunk`: the next chunk of staged rows, its outcomes and counts written and the
   import's ``next_line`` moved on — in the caller's transaction, so a job can commit chunk by
   chunk and resume after the last committed one;
3. :func:`finish_import`: places' counts and points refreshed, staging deleted, status ``done``.

:func:`run_import` does 2 and 3 in the caller's one transaction (the CLI, the current jobs);
:func:`import_report` is the report (``rows``, ``created``, ``matched``, ``pending``, ``rejected``,
``conflicts``, ``errors`` with line and reason).
"""
