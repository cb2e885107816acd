"""Roads and places (小区, 村, POIs …) as managed entities: list, create, rename, merge, retire.

Every change bumps the place's version, writes a ``place_history`` row and carries its addresses
along, each as a new address version (see :mod:`address.register.registry`):

- **rename**: the old name is kept as an alias (imports and the exact search still know it), the
  addresses' text changes and each keeps its old text as an address alias;
- **merge**: the place's addresses move to the other place (a new code there, or the one already
  there for the same door); the old codes are retired with ``tags.moved_to`` and the old text
  stays as an alias; the merged place keeps its name in the other's aliases;
- **retire**: the place and its current addresses are retired.

Roads are places of kind ``road``. Callers run these inside their transaction with its audit row.
"""

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from address.errors import BadRequest, Conflict, NotFound
from address.register.imports.codes import CodeBook, lock_places
from address.register.registry import add_alias, current_row, insert_version, new_version
from address.text.coding import PLACE_CODE_LENGTH, name_grams, pinyin_forms
from address.text.standard import (
    PLACE_KINDS,
    StandardForm,
    place_of,
    renamed_components,
    renamed_texts,
    segments_of,
)
from address.transactions import require_transaction

_COLUMNS = """code, kind, name, district_code, town_code, status, aliases, merged_into, version,
    address_count, ST_X(point) AS lng, ST_Y(point) AS lat"""


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    lng, lat = row.pop("lng"), row.pop("lat")
    row["location"] = None if lng is None else f"{lng:.7f},{lat:.7f}"
    return row


def list_places(conn: Connection, *, kinds: tuple[str, ...], status: str | None,
                q: str | None, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    where = """kind = ANY(%(kinds)s) AND (%(status)s::text IS NULL OR status = %(status)s)
        AND (%(q)s::text IS NULL OR name LIKE %(q)s || '%%' OR %(q)s = ANY(aliases))"""
    params = {"kinds": list(kinds), "status": status, "q": q, "limit": limit, "offset": offset}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"SELECT count(*) AS n FROM place WHERE {where}", params).fetchone()
        rows = cur.execute(f"SELECT {_COLUMNS} FROM place WHERE {where} ORDER BY code"
                           " LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    return (total or {"n": 0})["n"], [_shape(dict(r)) for r in rows]


def get_place(conn: Connection, *, code: str, lock: bool = False) -> dict[str, Any]:
    """A place with its history (every version, oldest first)."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM place WHERE code = %s"
                          + (" FOR UPDATE" if lock else ""), [code]).fetchone()
        if row is None:
            raise NotFound(f"no road or place with code {code!r}")
        history = cur.execute(
            """SELECT version, action, name, aliases, status, detail, key_id, at
               FROM place_history WHERE place_code = %s ORDER BY version""", [code]).fetchall()
    return {**_shape(dict(row)), "history": [dict(h) for h in history]}


def _history(conn: Connection, place: dict[str, Any], action: str, detail: dict[str, Any],
             key_id: int | None) -> dict[str, Any]:
    """Write the place's new state (version + 1) and its history row; the place as it is now."""
    version = int(place["version"]) + 1
    conn.execute(
        """UPDATE place SET name = %s, aliases = %s, status = %s, merged_into = %s, version = %s,
               pinyin = %s, initials = %s, bigrams = %s WHERE code = %s""",
        [place["name"], place["aliases"], place["status"], place["merged_into"], version,
         *pinyin_forms(place["name"]), name_grams(place["name"]), place["code"]])
    conn.execute(
        """INSERT INTO place_history (place_code, version, action, name, aliases, status, detail,
               key_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        [place["code"], version, action, place["name"], place["aliases"], place["status"],
         Jsonb(detail), key_id])
    return get_place(conn, code=place["code"])


def _active(conn: Connection, code: str) -> dict[str, Any]:
    place = get_place(conn, code=code, lock=True)
    if place["status"] != "active":
        raise Conflict(f"{place['name']} ({code}) is {place['status']}")
    return place


def _name_free(conn: Connection, district: str, kind: str, name: str) -> None:
    if not name.strip():
        raise BadRequest("a name is needed")
    taken = conn.execute("SELECT code FROM place WHERE district_code = %s AND kind = %s"
                         " AND (name = %s OR %s = ANY(aliases))",
                         [district, kind, name, name]).fetchone()
    if taken:
        raise Conflict(f"{name} is already the name or alias of {taken[0]}")


def create_place(conn: Connection, *, district: str, kind: str, name: str,
                 town_code: str | None, key_id: int | None) -> dict[str, Any]:
    if kind not in PLACE_KINDS:
        raise BadRequest(f"kind is one of {', '.join(PLACE_KINDS)}")
    require_transaction(conn, "create_place")
    lock_places(conn, [district])
    _name_free(conn, district, kind, name)
    rows = conn.execute("SELECT district_code, kind, name, code FROM place"
                        " WHERE district_code = %s", [district]).fetchall()
    book = CodeBook(conn, {(d, k, n): c for d, k, n, c in rows})
    code = book.place(district=district, kind=kind, name=name, town=town_code)
    book.write()
    if key_id is not None:
        conn.execute("UPDATE place_history SET key_id = %s WHERE place_code = %s", [key_id, code])
    return get_place(conn, code=code)


def _addresses(conn: Connection, code: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT code FROM address WHERE place_code = %s AND valid_to IS NULL"
                        " AND status <> 'retired' ORDER BY code", [code]).fetchall()
    return [current_row(conn, code=r[0]) for r in rows]


def _renamed(row: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    texts = renamed_texts(row, old, new)
    return {**row, **texts, "components": renamed_components(row["components"], old, new)}


def rename_place(conn: Connection, *, code: str, name: str,
                 key_id: int | None) -> dict[str, Any]:
    require_transaction(conn, "rename_place")
    place = _active(conn, code)
    old = place["name"]
    if name == old:
        return place
    _name_free(conn, place["district_code"], place["kind"], name)
    for row in _addresses(conn, code):
        moved = _renamed(row, old, name)
        new_version(conn, code=row["code"], changes={
            "components": moved["components"], "canonical": moved["canonical"]})
        conn.execute("UPDATE address SET address_key = %s, local_key = %s WHERE code = %s"
                     " AND valid_to IS NULL", [moved["address_key"], moved["local_key"],
                                               row["code"]])
        add_alias(conn, code=row["code"], text=row["canonical"],
                  normalized=row["local_key"])
    place = {**place, "name": name, "aliases": sorted({*place["aliases"], old})}
    return _history(conn, place, "rename", {"from": old, "to": name}, key_id)


def _move(conn: Connection, book: CodeBook, row: dict[str, Any], old: str,
          target: dict[str, Any]) -> str:
    """One address onto the target place: its code there (made if new); the old one retired."""
    moved = _renamed(row, old, target["name"])
    form = StandardForm(components=moved["components"], codes={}, canonical=moved["canonical"],
                        address_key=moved["address_key"], local_key=moved["local_key"],
                        level=row["level"], place=place_of(moved["components"]),
                        segments=segments_of(moved["components"]))
    code = book.address_code(form, target["code"])
    exists = conn.execute("SELECT 1 FROM address WHERE code = %s AND valid_to IS NULL",
                          [code]).fetchone()
    if not exists:
        insert_version(conn, {**moved, "code": code, "version": 1,
                              "place_code": code[:PLACE_CODE_LENGTH]})
    new_version(conn, code=row["code"], changes={
        "status": "retired", "tags": {**(row["tags"] or {}), "moved_to": code}})
    add_alias(conn, code=code, text=row["canonical"], normalized=row["local_key"])
    return code


def merge_place(conn: Connection, *, code: str, into: str, key_id: int | None) -> dict[str, Any]:
    """Merge place ``code`` into ``into`` (same district and kind); the place merged into."""
    require_transaction(conn, "merge_place")
    if code == into:
        raise BadRequest("a place cannot be merged into itself")
    source, target = _active(conn, code), _active(conn, into)
    if (source["district_code"], source["kind"]) != (target["district_code"], target["kind"]):
        raise BadRequest("only places of the same district and kind can be merged")
    book = CodeBook(conn, {})
    book.load_segments({into})
    moved = {row["code"]: _move(conn, book, row, source["name"], target)
             for row in _addresses(conn, code)}
    book.write()
    _history(conn, {**source, "status": "merged", "merged_into": into}, "merge",
             {"into": into, "moved": moved}, key_id)
    aliases = sorted({*target["aliases"], source["name"], *source["aliases"]})
    return _history(conn, {**target, "aliases": aliases}, "absorb",
                    {"from": code, "moved": len(moved)}, key_id)


def retire_place(conn: Connection, *, code: str, key_id: int | None) -> dict[str, Any]:
    require_transaction(conn, "retire_place")
    place = _active(conn, code)
    retired = [row["code"] for row in _addresses(conn, code)]
    for address in retired:
        new_version(conn, code=address, changes={"status": "retired"})
    return _history(conn, {**place, "status": "retired"}, "retire",
                    {"addresses_retired": len(retired)}, key_id)

