"""The sealed (encrypted) fields of a ticket: the original text and the caller's contact.

``ticket.description_enc`` holds the complaint as the caller told it, ``ticket.contact_enc`` a
JSON object of the caller's contact fields (``first_name``, ``last_name``, ``email``, ``phone``,
the address as given); ``ticket.contact_masked`` holds the same fields masked, for readers
without the right to the originals. :func:`reseal` seals every row again with the current key
(a key rotation's second half), in the caller's transaction.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import Connection

from address.transactions import require_transaction
from layers.hotline.crypto import Keyring
from layers.hotline.mask import mask_text

DESCRIPTION = "ticket.description"
CONTACT = "ticket.contact"
REQUESTER_FIELDS = ("first_name", "last_name", "email", "phone")  # Open311's
CONTACT_FIELDS = (*REQUESTER_FIELDS, "address_string")
# The columns that hold ciphertexts, with the purpose each was sealed for.
SEALED_COLUMNS = {"description_enc": DESCRIPTION, "contact_enc": CONTACT}


def seal_contact(keyring: Keyring, contact: dict[str, str | None]) -> bytes | None:
    kept = {k: v for k, v in contact.items() if k in CONTACT_FIELDS and v}
    return keyring.encrypt(json.dumps(kept, ensure_ascii=False), purpose=CONTACT) if kept else None


def open_contact(keyring: Keyring, blob: bytes | None) -> dict[str, Any]:
    if blob is None:
        return {}
    opened: dict[str, Any] = json.loads(keyring.decrypt(blob, purpose=CONTACT))
    return opened


def masked_contact(contact: dict[str, str | None]) -> dict[str, str]:
    """The contact fields as a reader without the right sees them: a name keeps its surname's
    first character, everything else goes through the masker."""
    out = {}
    for k, v in contact.items():
        if k not in CONTACT_FIELDS or not v:
            continue
        if k in ("first_name", "last_name"):
            out[k] = v[:1] + "*" * (len(v) - 1) if k == "last_name" else "*" * len(v)
        elif k == "email":
            local, _, host = v.partition("@")
            out[k] = "*" * len(local) + ("@" + host if host else "")
        elif k == "phone":
            out[k] = "".join("*" if c.isalnum() else c for c in v)
        else:
            out[k] = mask_text(v)
    return out


def reseal(conn: Connection, *, keyring: Keyring) -> int:
    """Seal every ticket column again with the current key; returns the values sealed again."""
    require_transaction(conn, "reseal")
    count = 0
    for column, purpose in SEALED_COLUMNS.items():
        rows = conn.execute(
            f"SELECT id, {column} FROM ticket WHERE {column} IS NOT NULL"
            f" AND substring({column} from 2 for 8) <> %s FOR UPDATE",
            [keyring.current.encode()]).fetchall()
        for ticket_id, blob in rows:
            plain = keyring.decrypt(blob, purpose=purpose)
            conn.execute(f"UPDATE ticket SET {column} = %s WHERE id = %s",
                         [keyring.encrypt(plain, purpose=purpose), ticket_id])
        count += len(rows)
    return count


def sealed_key_ids(conn: Connection) -> dict[str, int]:
    """How many values each key id has sealed (to check a rotation is complete)."""
    found: dict[str, int] = {}
    for column in SEALED_COLUMNS:
        for kid, n in conn.execute(
                f"SELECT substring({column} from 2 for 8), count(*) FROM ticket"
                f" WHERE {column} IS NOT NULL GROUP BY 1").fetchall():
            found[bytes(kid).decode()] = found.get(bytes(kid).decode(), 0) + n
    return found
