"""Value lists the schema's check constraints use and the API checks against, without
SQLAlchemy: the API imports them at start-up, and SQLAlchemy is most of a second of it."""

ROLES = ("public", "hotline", "planner", "steward", "admin", "energy", "enterprise")
ACCESS_LEVELS = ("public", "internal", "restricted")
