"""The access log keeps no personal data: query strings go through the masker before uvicorn
writes them (``GET /geocode?address=…电话13900002222`` is logged with ``***********``)."""

import logging
from urllib.parse import parse_qsl, quote, urlsplit

from layers.hotline.mask import mask_text

ACCESS_LOGGER = "uvicorn.access"


def masked_target(target: str) -> str:
    """A request target (path?query) with every query value masked; the path is kept."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{quote(k, safe='')}={quote(mask_text(v), safe='*,')}" for k, v in pairs)
    return f"{parts.path}?{query}"


class MaskQueryStrings(logging.Filter):
    """Masks the request target of uvicorn's access records (client, method, target, …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], masked_target(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskQueryStrings) for f in logger.filters):
        logger.addFilter(MaskQueryStrings())
