"""Access levels (公开/内部/敏感) and which roles may read or change layers.

Pure rules on role names, so every endpoint — features, tiles, cached tiles, rasters, quality —
asks the same two questions.
"""

from address.errors import BadRequest, Forbidden

ACCESS_LEVELS = ("public", "internal", "restricted")
LEVEL_LABELS = {"public": "公开", "internal": "内部", "restricted": "敏感"}

# internal: any caller with a key; restricted: the people who work with sensitive layers.
_READERS = {
    "public": frozenset({"public", "hotline", "planner", "steward", "admin"}),
    "internal": frozenset({"hotline", "planner", "steward", "admin"}),
    "restricted": frozenset({"planner", "steward", "admin"}),
}
WRITERS = ("planner", "steward")


def check_level(level: str) -> str:
    if level not in ACCESS_LEVELS:
        raise BadRequest(f"unknown access level {level!r}: use one of {', '.join(ACCESS_LEVELS)}")
    return level


def readable_levels(role: str) -> tuple[str, ...]:
    """The access levels a role may read, in order."""
    return tuple(level for level in ACCESS_LEVELS if role in _READERS[level])


def can_read(role: str, level: str) -> bool:
    return role in _READERS.get(level, frozenset())


def require_read(role: str, level: str, resource: str) -> None:
    """Forbidden unless the role may read a resource of this level."""
    if not can_read(role, level):
        label = LEVEL_LABELS.get(level, level)
        raise Forbidden(f"{resource} is {level} ({label}); the role {role} may not read it")


def can_write(role: str) -> bool:
    return role == "admin" or role in WRITERS
