"""Where the shipped models and tables are: ``address/data`` (see its README for sources)."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# Where two admin units share a name (a 新华村 in several towns), the parser prefers the one
# under the first of these prefixes, then the second: the district the shipped model is for,
# then its city. The one place the sample district's code stands in the code below api/.
HOME_PREFIXES = ("310118", "31")
