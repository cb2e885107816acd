"""Managed roads and places: rename keeps the old name, merge moves addresses, retire retires."""

import pytest

from address.errors import Conflict
from address.register.imports.chunk import ImportOptions
from address.register.imports.report import import_rows
from address.register.places import create_place, get_place, merge_place, rename_place
from address.register.sources import SourceRow


def _place(conn, name: str) -> dict:
    code = conn.execute("SELECT code FROM place WHERE name = %s", [name]).fetchone()[0]
    return get_place(conn, code=code)


def _current(conn, code: str) -> tuple:
    return conn.execute("SELECT status, canonical, tags FROM address WHERE code = %s"
                        " AND valid_to IS NULL", [code]).fetchone()


def test_rename_keeps_the_old_name_for_imports_and_addresses(conn):
    road = _place(conn, "华志路")
    with conn.transaction():
        renamed = rename_place(conn, code=road["code"], name="华智路", key_id=None)
    assert renamed["aliases"] == ["华志路"] and renamed["version"] == road["version"] + 1
    code = conn.execute("SELECT code FROM address WHERE place_code = %s AND valid_to IS NULL"
                        " AND canonical LIKE '%%559号'", [road["code"]]).fetchone()[0]
    status, canonical, _ = _current(conn, code)
    assert status == "active" and canonical.endswith("华智路559号")
    aliases = [r[0] for r in conn.execute(
        "SELECT text FROM address_alias WHERE address_code = %s", [code])]
    assert any(a.endswith("华志路559号") for a in aliases)
    with conn.transaction():  # a source still writing the old name matches the renamed road
        report = import_rows(conn, ImportOptions(source="old_names", districts=("310118",)),
                             [SourceRow(2, "青浦区华志路559号", None, None)])
    assert report.counts["matched"] == 1 and report.counts["pending"] == 0


def test_merge_moves_addresses_and_keeps_the_name(conn):
    target = _place(conn, "华志路")
    with conn.transaction():
        typo = create_place(conn, district="310118", kind="road", name="华芝路",
                            town_code=None, key_id=None)
        report = import_rows(conn, ImportOptions(source="survey", districts=("310118",)),
                             [SourceRow(2, "青浦区华芝路573号", None, None)])
    assert report.counts["created"] == 1  # the place is known now: made by a steward
    old_code = conn.execute("SELECT code FROM address WHERE place_code = %s",
                            [typo["code"]]).fetchone()[0]
    with conn.transaction():
        merged = merge_place(conn, code=typo["code"], into=target["code"], key_id=None)
    assert "华芝路" in merged["aliases"]
    status, _, tags = _current(conn, old_code)
    assert status == "retired" and tags["moved_to"].startswith(target["code"])
    status, canonical, _ = _current(conn, tags["moved_to"])
    assert status == "active" and canonical.endswith("华志路573号")
    assert get_place(conn, code=typo["code"])["status"] == "merged"
    with pytest.raises(Conflict), conn.transaction():
        rename_place(conn, code=typo["code"], name="别的路", key_id=None)
