"""The table declarations, one module per domain; :mod:`migrations.schema` collects them."""
