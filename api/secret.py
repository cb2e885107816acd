"""The secret key that seals what callers told the hotline (``DIZHI_SECRET_KEY`` or var/secret.key).

The api loads it once at start (app, CLI, migrations) and hands it to ``layers.hotline.crypto``;
code below api never reads settings. Rotation: :func:`rotate_secret`.
"""

from __future__ import annotations

from psycopg import Connection

from api.settings import Settings, get_settings
from layers.hotline.crypto import (
    Keyring,
    configure,
    drop_old_keys,
    load_keyring,
    rotate_file_key,
)
from layers.hotline.sealed import reseal, sealed_key_ids


def app_keyring(settings: Settings | None = None) -> Keyring:
    """Load (at first start: create) the keyring and make it this process's."""
    settings = settings or get_settings()
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    keyring = load_keyring(directory=settings.var_dir, secret=secret)
    configure(keyring)
    return keyring


def rotate_secret(conn: Connection, keyring: Keyring) -> dict[str, object]:
    """A new key (key file) or the first one of DIZHI_SECRET_KEY becomes current; every sealed
    value is sealed again on ``conn`` in one transaction; the old file keys are dropped only
    after it committed (a failure leaves both keys, so every row still opens)."""
    old = keyring.current
    new = rotate_file_key(keyring) if keyring.path is not None else keyring
    configure(new)
    with conn.transaction():
        resealed = reseal(conn, keyring=new)
    # a server that sealed a ticket with the old key while this ran (it reads the changed key
    # file on its next seal) leaves a straggler: a second pass takes it
    with conn.transaction():
        resealed += reseal(conn, keyring=new)
    left = sealed_key_ids(conn)
    if set(left) <= {new.current}:
        configure(drop_old_keys(new) if new.path is not None else new)
    return {"old_key": old, "new_key": new.current, "resealed": resealed, "sealed_by_key": left}
