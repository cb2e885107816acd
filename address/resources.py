"""Where the shipped models and tables are: ``address/data`` (see its README for sources)."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
