"""The register against the database: codes, imports, conflicts, versions, objections."""

import csv
from pathlib import Path

import pytest

from address.errors import BadRequest, Conflict
from address.parse.parser import parse
from address.register.conflicts import resolve_conflict
from address.register.imports.chunk import ImportOptions
from address.register.imports.report import import_rows
from address.register.objections import file_objection, transition
from address.register.registry import get_address, new_version
from address.register.sources import SourceRow
from address.text.standard import standardize
from api.cli.imports import read_address_rows

HUAZHI_559 = (121.22494, 31.17)


def _code_of(conn, text: str) -> str:
    key = standardize(parse(text)).local_key
    return conn.execute("SELECT code FROM address WHERE local_key = %s AND valid_to IS NULL",
                        [key]).fetchone()[0]


def _import(conn, source: str, rows: list[SourceRow], **options):
    options.setdefault("districts", ("310118",))
    with conn.transaction():
        return import_rows(conn, ImportOptions(source=source, **options), rows)


def test_codes_follow_the_address_structure(conn):
    code = _code_of(conn, "上海市青浦区明珠路416弄")
    place = conn.execute("SELECT code, kind, name FROM place WHERE code = %s",
                         [code[:12]]).fetchone()
    assert place[1:] == ("road", "明珠路")
    assert code.startswith("310118" + "1") and code.endswith("20416")  # 弄 → 2, 416
    village = _code_of(conn, "上海市青浦区淀西村")
    assert len(village) == 12 and village[6] == "3"


def test_a_new_source_matches_by_key_and_by_typo_and_creates_the_rest(conn):
    x, y = conn.execute("SELECT ST_X(point), ST_Y(point) FROM address WHERE code = %s",
                        [_code_of(conn, "上海市青浦区明珠路416弄")]).fetchone()
    rows = [
        SourceRow(2, "青浦区明珠路４１６弄", x, y),      # full-width digits, no city
        SourceRow(3, "青浦区明朱路416弄", x, y),         # a one-character typo in the road
        SourceRow(4, "青浦区明珠路416弄12号楼1201室", x, y),  # a room below it: new
        SourceRow(5, "", x, y),                          # bad: empty
        SourceRow(6, "青浦区明珠路1号", 200.0, y),        # bad: out of range
    ]
    report = _import(conn, "test_source", rows)
    assert (report.read, report.imported, report.failed) == (5, 3, 2)
    assert (report.counts["matched"], report.counts["created"]) == (2, 1)
    assert [e.line for e in report.failed_rows] == [5, 6]
    assert "empty" in report.failed_rows[0].reason and "range" in report.failed_rows[1].reason
    room = _code_of(conn, "青浦区明珠路416弄12号楼1201室")
    assert room.startswith(_code_of(conn, "上海市青浦区明珠路416弄") + "0012" + "00" + "01201")
    stored = conn.execute("SELECT count(*) FROM address_source_record WHERE source = 'test_source'"
                          ).fetchone()[0]
    assert stored == 3


def test_conflicts_are_recorded(conn):
    code = _code_of(conn, "上海市青浦区华志路559号")
    x, y = conn.execute("SELECT ST_X(point), ST_Y(point) FROM address WHERE code = %s",
                        [code]).fetchone()
    rows = [
        SourceRow(2, "青浦区华志路559号", x + 0.01, y),          # ~950 m away
        SourceRow(3, "青浦区华志路559号", x, y),                  # listed twice
        SourceRow(4, "青浦区朱家角镇华志路561号", x, y),          # names a town it is not in
        SourceRow(5, "青浦区华志路999号", x, y),                  # a new text on the same point
    ]
    report = _import(conn, "survey", rows, far_m=100)
    # rows 4 and 5 are both new texts on 559号's point
    assert report.details["conflicts"] == {"far_apart": 1, "duplicate": 1, "outside_admin": 1,
                                           "same_point": 2}
    again = _import(conn, "survey", rows, far_m=100)  # re-running adds nothing
    assert again.details["conflicts"] == {} and again.counts["created"] == 0


def test_steward_accepts_a_source_point(conn):
    code = _code_of(conn, "上海市青浦区华志路559号")
    x, y = conn.execute("SELECT ST_X(point), ST_Y(point) FROM address WHERE code = %s",
                        [code]).fetchone()
    _import(conn, "survey", [SourceRow(2, "青浦区华志路559号", x + 0.01, y)], far_m=100)
    conflict_id, record_ids = conn.execute(
        "SELECT id, record_ids FROM address_conflict WHERE kind = 'far_apart'"
        " AND address_code = %s AND status = 'open'", [code]).fetchone()
    with pytest.raises(BadRequest), conn.transaction():
        resolve_conflict(conn, conflict_id=conflict_id, action="accept_source", reviewer="t")
    with conn.transaction():
        resolve_conflict(conn, conflict_id=conflict_id, action="accept_source", reviewer="t",
                         record_id=record_ids[0])
    address = get_address(conn, code=code)
    assert address["version"] == 2 and address["location"].startswith(f"{x + 0.01:.5f}")
    assert [v["valid_to"] is None for v in address["history"]] == [True, False]
    with pytest.raises(Conflict), conn.transaction():
        resolve_conflict(conn, conflict_id=conflict_id, action="reject", reviewer="t")


def test_merge_keeps_an_alias_and_retired_addresses_stay_readable(conn):
    a = _code_of(conn, "上海市青浦区明珠路416弄")
    b = _code_of(conn, "上海市青浦区华志路559号")
    conflict = conn.execute(
        "INSERT INTO address_conflict (kind, address_code) VALUES ('same_point', %s) RETURNING id",
        [b]).fetchone()[0]
    with conn.transaction():
        resolve_conflict(conn, conflict_id=conflict, action="merge", reviewer="t", into_code=a)
    merged = get_address(conn, code=b)
    assert merged["status"] == "retired" and merged["tags"]["merged_into"] == a
    alias = conn.execute("SELECT text FROM address_alias WHERE address_code = %s", [a]).fetchone()
    assert "华志路559号" in alias[0]


def test_versions_and_objections(conn):
    code = _code_of(conn, "上海市青浦区淀西村")
    with conn.transaction():
        new_version(conn, code=code, changes={"tags": {"use": "住宅"}})
    assert get_address(conn, code=code)["tags"] == {"use": "住宅"}
    with pytest.raises(BadRequest), conn.transaction():
        new_version(conn, code=code, changes={"code": "x"})
    objection = file_objection(conn, code=code, reason="村名已更改", actor="public")
    assert objection["status"] == "open"
    with conn.transaction():
        transition(conn, objection_id=objection["id"], status="verifying", actor="steward")
    with conn.transaction():
        done = transition(conn, objection_id=objection["id"], status="resolved", actor="steward",
                          note="已核实")
    assert [h["status"] for h in done["history"]] == ["open", "verifying", "resolved"]
    with pytest.raises(Conflict), conn.transaction():
        transition(conn, objection_id=objection["id"], status="verifying", actor="steward")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_vector_sources_are_read_with_their_line_numbers(tmp_path: Path, suffix: str):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"address": ["青浦区明珠路416弄", "青浦区华志路559号"]},
                             geometry=[Point(121.26, 31.17), Point(121.22, 31.17)], crs=4326)
    path = tmp_path / f"src{suffix}"
    frame.to_file(path)
    rows = read_address_rows(path)
    assert [(r.line, r.text) for r in rows] == [(1, "青浦区明珠路416弄"), (2, "青浦区华志路559号")]
    assert rows[0].x == pytest.approx(121.26)


def test_csv_source_reports_bad_numbers_on_their_line(tmp_path: Path):
    path = tmp_path / "src.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerows([["地址", "经度", "纬度"], ["青浦区明珠路416弄", "121.26", "31.17"],
                          ["青浦区华志路559号", "abc", "31.17"], ["淀山湖大道\n1号", "", ""],
                          ["华新镇", "200", "31.1"], ["门牌0012", "121.2", "31.1"]])
    rows = read_address_rows(path)
    assert rows[0].x == pytest.approx(121.26) and rows[0].raw["经度"] == "121.26"
    assert rows[1].line == 3 and "not a finite number" in rows[1].error
    assert (rows[2].line, rows[2].x, rows[2].error) == (5, None, None)  # a two-line record
    assert rows[3].line == 6 and "out of range" in rows[3].error
    assert rows[4].text == "门牌0012" and rows[4].error is None
    with pytest.raises(BadRequest):
        read_address_rows(path, columns={"text": "nope"})


def test_rows_from_memory_from_staging_and_parsed_in_a_process_end_alike(conn):
    """The CLI's rows from memory (and parsed in a child process) end as staged rows do:
    repeated texts (one parse, one reading per point's areas), a NUL, garbage, a typo road."""
    import psycopg

    from address.register.imports.report import import_report
    from address.register.imports.run import count_rows, create_import, run_import, stage_rows

    x, y = HUAZHI_559
    rows = [SourceRow(2, "青浦区华志路559号", x, y), SourceRow(3, "青浦区华志路559号", x, y),
            SourceRow(4, "青浦区华志路559号", None, None), SourceRow(5, "华芝路573号", x, y),
            SourceRow(6, "上海市黄浦区陕西南路100号", None, None), SourceRow(7, "asdfqwer", x, y),
            SourceRow(8, "青浦区华志路\x00563号", x, y, {"地址": "青浦区华志路\x00563号"}),
            SourceRow(9, "青浦区华志路563号", 121.38, 31.11)]  # a point in 闵行区
    options = ImportOptions(source="twice", districts=("310118",))

    def outcome(how: str) -> tuple:
        with conn.transaction():
            import_id = create_import(conn, options)
            if how == "staged":
                stage_rows(conn, import_id=import_id, rows=rows)
                run_import(conn, import_id=import_id, size=3)
            else:
                count_rows(conn, import_id=import_id, rows=len(rows))
                run_import(conn, import_id=import_id, size=3, rows=rows,
                           parse_process=how == "process")
            report = import_report(conn, import_id=import_id)
            records = conn.execute(
                "SELECT line_no, raw_text, raw, address_code, match_score, place"
                " FROM address_source_record WHERE source = 'twice' ORDER BY line_no").fetchall()
            result = ({k: report[k] for k in ("rows", "created", "matched", "pending",
                                               "rejected", "conflicts", "errors")}, records)
            raise psycopg.Rollback()
        return result

    staged = outcome("staged")
    assert staged[0]["rows"] == 8 and staged[0]["rejected"] >= 2 and staged[0]["pending"] >= 1
    assert all("\x00" not in text for _, text, *_ in staged[1])
    assert outcome("memory") == staged
    assert outcome("process") == staged


def test_rows_read_once_per_text_and_areas_read_as_row_by_row():
    """parse_rows reads a (text, point areas) once and RecentReads carries readings over
    to the next chunk: the forms equal a row-by-row reading, and a repeat asks for nothing."""
    from address.register.imports.rows import RecentReads, parse_rows, read_texts

    texts = ["青浦区华志路559号", "华志路559号", "上海市黄浦区陕西南路100号", "asdfqwer"]
    rows = [SourceRow(i, texts[i % 4], 121.2, 31.1) for i in range(2, 26)]
    admin = {r.line: {"district": "310118", "town": "31011810" + str(r.line % 3)}
             for r in rows}
    asked: list[int] = []

    def counting(keys, districts, default):
        asked.append(len(keys))
        return read_texts(keys, districts, default)

    reader = RecentReads(counting)
    first = parse_rows(rows, admin, ("310118",), "310118", reader)
    again = parse_rows(rows, admin, ("310118",), "310118", reader)
    alone = [parse_rows([r], admin, ("310118",), "310118")[0] for r in rows]
    assert asked == [12, 0]  # 4 texts × 3 towns, then nothing new
    for a, b, c in zip(first, again, alone, strict=True):
        assert (a.form, a.district, a.named_town, a.reason) == (
            b.form, b.district, b.named_town, b.reason) == (
            c.form, c.district, c.named_town, c.reason)
    assert first[2].form is not None
    assert first[2].form is first[14].form  # one reading shared by the rows that repeat it


def test_a_bare_road_name_goes_by_its_point_not_the_road_tables_district_or_town():
    """华志路862号 alone: the road table puts 华志路 in 青浦 (华新镇), but a point in 闵行区 rejects
    the row, and a point in another town of 青浦 is the row's town; a district the text writes
    still wins over a point near its boundary."""
    from address.register.imports.rows import parse_rows

    minhang = {"district": "310112", "town": "310112102"}
    xujing = {"district": "310118", "town": "310118106"}  # 徐泾镇, not 华志路's 华新镇
    rows = [SourceRow(2, "华志路862号", 121.384, 31.101),
            SourceRow(3, "华志路862号", 121.28, 31.17),
            SourceRow(4, "青浦区华志路862号", 121.384, 31.101)]
    admin = {2: minhang, 3: xujing, 4: minhang}
    bare, elsewhere_in_town, named = parse_rows(rows, admin, ("310118",), "310118")
    assert bare.form is None and "闵行区" in (bare.reason or "")
    assert elsewhere_in_town.form is not None and elsewhere_in_town.named_town is None
    assert elsewhere_in_town.form.codes.get("town") == "310118106"
    assert named.reason is None and named.district == "310118"
